import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Optional } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { PROBLEM_CONTENT_TYPE, type ProblemDetails, resolveProblem } from './problem-details';

/**
 * Told about every problem the filter answers a routed request with. The audit trail observes this way
 * because guards refuse requests before any interceptor runs; must not throw.
 */
export interface ProblemObserver {
  onProblem(request: Request, problem: ProblemDetails): void;
}

export const PROBLEM_OBSERVER = Symbol('PROBLEM_OBSERVER');

/** The single place where errors become HTTP responses (registered globally as APP_FILTER). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    @InjectPinoLogger(ProblemDetailsFilter.name) private readonly logger: PinoLogger,
    @Optional() @Inject(PROBLEM_OBSERVER) private readonly observer?: ProblemObserver,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = writeProblem(exception, request, response, this.logger);
    this.observer?.onProblem(request, problem);
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
): ProblemDetails {
  const requestId = typeof request.id === 'string' ? request.id : undefined;
  const { body, headers, unexpected } = resolveProblem(exception, { requestId, path: request.path });
  if (unexpected) {
    logger.error({ err: exception, requestId }, 'Unhandled error');
  }
  if (response.headersSent) {
    response.end();
    return body;
  }
  response.status(body.status).set(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  return body;
}
