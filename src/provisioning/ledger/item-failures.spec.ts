import fc from 'fast-check';

import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { VendorError, type VendorErrorKind } from '../../ipaas/vendor-error';
import { backoffMs, classifyFailure } from './item-failures';

describe('classifyFailure', () => {
  it.each<[VendorErrorKind, string]>([
    ['server', ErrorCode.VENDOR_UNAVAILABLE],
    ['network', ErrorCode.VENDOR_UNAVAILABLE],
    ['timeout', ErrorCode.VENDOR_UNAVAILABLE],
    ['rate_limited_volume', ErrorCode.VENDOR_RATE_LIMITED],
  ])('retries a transient vendor failure (%s) with its code', (kind, code) => {
    expect(classifyFailure(new VendorError(kind, 'boom'))).toEqual({
      kind: 'retry',
      error: { code, message: 'iPaaS.com: boom' },
    });
  });

  it.each<VendorErrorKind>(['validation', 'forbidden', 'not_found', 'conflict', 'protocol', 'auth'])(
    'fails a permanent vendor failure (%s) at once',
    (kind) => {
      expect(classifyFailure(new VendorError(kind, 'no')).kind).toBe('fail');
    },
  );

  it('retries a company whose circuit is open once the circuit lets a call through', () => {
    expect(classifyFailure(new VendorError('circuit_open', 'open', { retryAfterMs: 12_000 }))).toMatchObject({
      kind: 'retry',
      notBeforeMs: 12_000,
      error: { code: ErrorCode.VENDOR_UNAVAILABLE },
    });
  });

  it('skips a company whose monthly allowance is used up, or that is halted', () => {
    expect(classifyFailure(new VendorError('rate_limited_monthly', 'month'))).toMatchObject({
      kind: 'skip',
      reason: ErrorCode.VENDOR_QUOTA_EXHAUSTED,
    });
    for (const code of [ErrorCode.SUBSCRIBER_INACTIVE, ErrorCode.VENDOR_QUOTA_EXHAUSTED]) {
      expect(classifyFailure(new AppError(code, 'halted'))).toEqual({
        kind: 'skip',
        reason: code,
        error: { code, message: 'halted' },
      });
    }
  });

  it('retries transient AppErrors and fails the others (credential invalid, validation, not found)', () => {
    expect(classifyFailure(new AppError(ErrorCode.VENDOR_UNAVAILABLE, 'x')).kind).toBe('retry');
    for (const code of [ErrorCode.CREDENTIAL_INVALID, ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND]) {
      expect(classifyFailure(new AppError(code, 'x')).kind).toBe('fail');
    }
  });

  it('honours a Retry-After the client handed back for rescheduling', () => {
    const error = new VendorError('rate_limited_volume', 'slow down', {
      retryAfterMs: 90_000,
      reschedule: true,
    });
    expect(classifyFailure(error)).toMatchObject({ kind: 'retry', notBeforeMs: 90_000 });
  });

  it('retries an unexpected error without exposing its message', () => {
    expect(classifyFailure(new Error('SQLITE_BUSY: database is locked'))).toEqual({
      kind: 'retry',
      error: { code: ErrorCode.INTERNAL, message: 'Unexpected error (see the log)' },
      unexpected: true,
    });
  });
});

describe('backoffMs', () => {
  it('stays within the full-jitter envelope [0, min(max, base * 2^(attempt-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, random) => {
          const delay = backoffMs(attempt, { baseMs, maxMs }, () => random);
          const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
          return Number.isInteger(delay) && delay >= 0 && delay <= ceiling;
        },
      ),
    );
  });

  it('grows exponentially until the cap', () => {
    const top = (attempt: number) => backoffMs(attempt, { baseMs: 100, maxMs: 1000 }, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
  });
});
