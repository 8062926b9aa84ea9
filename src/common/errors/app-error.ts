import { ErrorCode } from './error-code';

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * The only error services throw. `detail` must be safe to show to the caller (no secrets, SQL or stack);
 * `extensions` are extra problem members such as `retryAfterSeconds`.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly options: {
      errors?: FieldProblem[];
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
  }

  static notFound(what: string): AppError {
    return new AppError(ErrorCode.NOT_FOUND, `${what} was not found`);
  }

  static validation(errors: FieldProblem[], extensions?: Record<string, unknown>): AppError {
    return new AppError(ErrorCode.VALIDATION_FAILED, `${errors.length} field(s) are invalid`, {
      errors,
      extensions,
    });
  }
}
