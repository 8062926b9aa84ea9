import { HttpException, HttpStatus } from '@nestjs/common';

import { AppError, type FieldProblem } from './app-error';
import { ERROR_CATALOG, ErrorCode, problemTypeUri } from './error-code';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, as every error response of Tenantry carries them. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId?: string;
  instance?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

export interface ResolvedProblem {
  body: ProblemDetails;
  headers: Record<string, string>;
  /** True when the error was not foreseen by the code: it is logged with its stack. */
  unexpected: boolean;
}

// Framework exceptions (unknown route, terminus, passport, throttler) carry only a status; give each one code.
const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.BAD_REQUEST,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.UNAUTHORIZED,
  [HttpStatus.FORBIDDEN]: ErrorCode.FORBIDDEN,
  [HttpStatus.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [HttpStatus.METHOD_NOT_ALLOWED]: ErrorCode.METHOD_NOT_ALLOWED,
  [HttpStatus.CONFLICT]: ErrorCode.CONFLICT,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  [HttpStatus.UNPROCESSABLE_ENTITY]: ErrorCode.UNPROCESSABLE,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.RATE_LIMITED,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.SERVICE_UNAVAILABLE,
};

// body-parser raises plain errors with a `type`; they never reach a controller.
const CODE_BY_BODY_PARSER_TYPE: Record<string, ErrorCode> = {
  'entity.parse.failed': ErrorCode.MALFORMED_JSON,
  'entity.too.large': ErrorCode.PAYLOAD_TOO_LARGE,
  'encoding.unsupported': ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  'charset.unsupported': ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  'request.aborted': ErrorCode.BAD_REQUEST,
  'request.size.invalid': ErrorCode.BAD_REQUEST,
};

const BODY_PARSER_DETAIL: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.MALFORMED_JSON]: 'The request body could not be parsed as JSON',
  [ErrorCode.PAYLOAD_TOO_LARGE]: 'The request body exceeds the configured limit',
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 'The request body encoding or charset is not supported',
  [ErrorCode.BAD_REQUEST]: 'The request body could not be read',
};

function problem(code: ErrorCode, detail: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  const { status, title } = ERROR_CATALOG[code];
  return { type: problemTypeUri(code), title, status, detail, code, ...extra };
}

function fromHttpException(exception: HttpException): ProblemDetails {
  const status = exception.getStatus();
  const code = CODE_BY_STATUS[status] ?? (status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST);
  const response = exception.getResponse();
  if (code === ErrorCode.SERVICE_UNAVAILABLE && typeof response === 'object') {
    // Terminus puts the per-indicator results in the response; they are safe and useful to a prober.
    return problem(code, 'One or more dependencies are not ready', { checks: response });
  }
  if (status >= 500) {
    return problem(code, 'An unexpected error occurred');
  }
  const message =
    typeof response === 'object' && 'message' in response && typeof response.message === 'string'
      ? response.message
      : exception.message;
  return problem(code, message, { status });
}

function isBodyParserError(error: unknown): error is { type: string; status?: number } {
  return (
    typeof error === 'object' &&
    error !== null &&
    'type' in error &&
    typeof error.type === 'string' &&
    error.type in CODE_BY_BODY_PARSER_TYPE
  );
}

/** Errors of other layers (e.g. the vendor client) that know their own safe AppError form. */
export interface ConvertibleToAppError {
  toAppError(): AppError;
}

function isConvertible(error: unknown): error is ConvertibleToAppError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Partial<ConvertibleToAppError>).toAppError === 'function'
  );
}

/** Turns anything thrown into a safe problem body. Only `AppError.detail` and framework messages are shown. */
export function resolveProblem(
  thrown: unknown,
  context: { requestId?: string; path?: string },
): ResolvedProblem {
  const error = isConvertible(thrown) ? thrown.toAppError() : thrown;
  let body: ProblemDetails;
  let headers: Record<string, string> = {};
  let unexpected = false;

  if (error instanceof AppError) {
    body = problem(error.code, error.detail, { ...error.options.extensions, errors: error.options.errors });
    headers = error.options.headers ?? {};
    unexpected = body.status >= 500;
  } else if (error instanceof HttpException) {
    body = fromHttpException(error);
    unexpected = body.status >= 500 && body.code !== ErrorCode.SERVICE_UNAVAILABLE;
  } else if (isBodyParserError(error)) {
    const code = CODE_BY_BODY_PARSER_TYPE[error.type] ?? ErrorCode.BAD_REQUEST;
    body = problem(code, BODY_PARSER_DETAIL[code] ?? 'The request body could not be read');
  } else {
    body = problem(ErrorCode.INTERNAL, 'An unexpected error occurred');
    unexpected = true;
  }

  if (body.errors === undefined) {
    delete body.errors;
  }
  body.requestId = context.requestId;
  body.instance = context.path;
  return { body, headers, unexpected };
}
