import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { VendorError } from '../../ipaas/vendor-error';
import type { RecordedError } from './ledger.types';

/**
 * What the ledger does with an item whose step threw:
 * - `retry`: transient (vendor 5xx, network, timeout, volume 429, the company's circuit open): again after a
 *   backoff (at least until the circuit lets a call through), up to the attempt cap;
 * - `fail`: permanent (validation, credential refused or invalid, not found, conflict): failed at once;
 * - `skip`: the company cannot be worked on now (suspended or offboarded, monthly quota used up, its health
 *   circuit open after a confirmed unhealthy check): skipped with the reason, and the job goes on.
 */
export type FailureDisposition =
  | { kind: 'retry'; error: RecordedError; notBeforeMs?: number; unexpected?: boolean }
  | { kind: 'fail'; error: RecordedError }
  | { kind: 'skip'; error: RecordedError; reason: string };

/** Codes that say the company cannot be worked on now, whoever raised them. */
const SKIP_CODES: ReadonlySet<string> = new Set([
  ErrorCode.SUBSCRIBER_INACTIVE,
  ErrorCode.VENDOR_QUOTA_EXHAUSTED,
  ErrorCode.SUBSCRIBER_UNHEALTHY,
]);
/** AppErrors that are worth another attempt (a VendorError already turned into a problem upstream). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  ErrorCode.VENDOR_UNAVAILABLE,
  ErrorCode.VENDOR_RATE_LIMITED,
  ErrorCode.SERVICE_UNAVAILABLE,
]);
const UNEXPECTED: RecordedError = { code: ErrorCode.INTERNAL, message: 'Unexpected error (see the log)' };

export function classifyFailure(error: unknown): FailureDisposition {
  if (error instanceof VendorError) {
    const problem = error.toAppError();
    const recorded = { code: problem.code, message: problem.detail };
    if (error.kind === 'circuit_open') {
      // The company's calls keep failing at the vendor: try the item again once the circuit lets a call through
      // (a storm of 5xx and resets is transient; a job should not end short of companies because of one).
      return { kind: 'retry', error: recorded, notBeforeMs: error.details.retryAfterMs };
    }
    if (error.kind === 'rate_limited_monthly') {
      return { kind: 'skip', error: recorded, reason: problem.code };
    }
    if (error.retryable) {
      // A Retry-After longer than the client sleeps through comes back as `reschedule`: honour it here.
      return error.details.reschedule === true && error.details.retryAfterMs !== undefined
        ? { kind: 'retry', error: recorded, notBeforeMs: error.details.retryAfterMs }
        : { kind: 'retry', error: recorded };
    }
    return { kind: 'fail', error: recorded };
  }
  if (error instanceof AppError) {
    const recorded = { code: error.code, message: error.detail };
    if (SKIP_CODES.has(error.code)) {
      return { kind: 'skip', error: recorded, reason: error.code };
    }
    return TRANSIENT_CODES.has(error.code)
      ? { kind: 'retry', error: recorded }
      : { kind: 'fail', error: recorded };
  }
  // A bug or a database hiccup: worth a bounded number of attempts; the message stays in the log.
  return { kind: 'retry', error: UNEXPECTED, unexpected: true };
}

/**
 * Milliseconds to wait before attempt `attempt + 1` after `attempt` failed: exponential from `baseMs`, capped
 * at `maxMs`, with full jitter (uniform in [0, cap]) so items that failed together do not retry together.
 */
export function backoffMs(
  attempt: number,
  settings: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.floor(random() * ceiling);
}
