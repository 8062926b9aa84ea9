import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { PROBLEM_CONTENT_TYPE, resolveProblem } from './problem-details';

/** The single place where errors become HTTP responses (registered globally as APP_FILTER). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(@InjectPinoLogger(ProblemDetailsFilter.name) private readonly logger: PinoLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    writeProblem(exception, request, response, this.logger);
  }
}

export interface ErrorLogger {
  error(details: object, message: string): void;
}

/** Shared with the Express error middleware that catches body-parser errors before Nest routing. */
export function writeProblem(
  exception: unknown,
  request: Request,
  response: Response,
  logger: ErrorLogger,
): void {
  const requestId = typeof request.id === 'string' ? request.id : undefined;
  const { body, headers, unexpected } = resolveProblem(exception, { requestId, path: request.path });
  if (unexpected) {
    logger.error({ err: exception, requestId }, 'Unhandled error');
  }
  if (response.headersSent) {
    response.end();
    return;
  }
  response.status(body.status).set(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
