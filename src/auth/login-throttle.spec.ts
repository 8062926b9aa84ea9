import { afterFailure, type FailureCounter, retryAfterSeconds, type ThrottleRule } from './login-throttle';

const RULE: ThrottleRule = { maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000 };
const T0 = 1_700_000_000_000;

function failAt(times: number[], start: FailureCounter | null = null): FailureCounter | null {
  return times.reduce<FailureCounter | null>((counter, at) => afterFailure(counter, at, RULE), start);
}

describe('login throttle', () => {
  it('should not block below the limit', () => {
    const counter = failAt([T0, T0 + 1000]);
    expect(counter).toEqual({ failures: 2, windowStartedAt: T0, blockedUntil: null });
    expect(retryAfterSeconds(counter, T0 + 1000)).toBeNull();
  });

  it('should block for the lockout when the limit is reached within the window', () => {
    const counter = failAt([T0, T0 + 1000, T0 + 2000]);
    expect(counter).toEqual({ failures: 0, windowStartedAt: T0 + 2000, blockedUntil: T0 + 302_000 });
    expect(retryAfterSeconds(counter, T0 + 2000)).toBe(300);
    expect(retryAfterSeconds(counter, T0 + 301_500)).toBe(1);
    expect(retryAfterSeconds(counter, T0 + 302_000)).toBeNull();
  });

  it('should round Retry-After up to whole seconds', () => {
    expect(retryAfterSeconds({ failures: 0, windowStartedAt: T0, blockedUntil: T0 + 1001 }, T0)).toBe(2);
  });

  it('should start a new count when the window has passed', () => {
    const counter = failAt([T0, T0 + 1000, T0 + 60_000]);
    expect(counter).toEqual({ failures: 1, windowStartedAt: T0 + 60_000, blockedUntil: null });
  });

  it('should need a full new series after a lockout ends', () => {
    const locked = failAt([T0, T0 + 1, T0 + 2]);
    const after = T0 + 2 + RULE.lockoutMs;
    const counter = failAt([after, after + 1], locked);
    expect(counter).toMatchObject({ failures: 2, blockedUntil: null });
    expect(retryAfterSeconds(failAt([after + 2], counter), after + 2)).toBe(300);
  });

  it('should not count unknown counters as blocked', () => {
    expect(retryAfterSeconds(null, T0)).toBeNull();
  });
});
