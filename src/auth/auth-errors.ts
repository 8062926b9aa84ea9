import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';

/** A 401 problem with the challenge RFC 6750 asks for. */
export function unauthorized(detail: string): AppError {
  return new AppError(ErrorCode.UNAUTHORIZED, detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
}
