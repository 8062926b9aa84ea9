import fc from 'fast-check';

import { fullJitterBackoff, parseRetryAfter } from './retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');

  it('should read delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
  });

  it('should read an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:10 GMT', now)).toBe(10000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('should ignore garbage', () => {
    for (const garbage of ['', 'soon', '-5', '1.5', '3s', '0x10', 'NaN']) {
      expect(parseRetryAfter(garbage, now)).toBeUndefined();
    }
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('should keep huge values so the caller can reschedule instead of sleeping', () => {
    expect(parseRetryAfter('86400', now)).toBe(86_400_000);
    expect(parseRetryAfter('99999999999999999999', now)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('fullJitterBackoff', () => {
  it('should stay within [0, min(max, base·2^attempt))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const wait = fullJitterBackoff(attempt, 100, 5000, () => r);
          return wait >= 0 && wait < Math.min(5000, 100 * 2 ** attempt);
        },
      ),
    );
  });
});
