/** The failed-login counter of one key (an account or an IP address), in epoch ms. */
export interface FailureCounter {
  failures: number;
  windowStartedAt: number;
  blockedUntil: number | null;
}

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

/** Whole seconds until the key may try again (for Retry-After), or null when it is not blocked. */
export function retryAfterSeconds(counter: FailureCounter | null, nowMs: number): number | null {
  if (counter === null || counter.blockedUntil === null || counter.blockedUntil <= nowMs) {
    return null;
  }
  return Math.max(1, Math.ceil((counter.blockedUntil - nowMs) / 1000));
}

/**
 * The counter after one more failure. Failures count within a fixed window from the first one; reaching the
 * limit blocks the key for the lockout and starts a fresh count, so each lockout needs a full new series.
 */
export function afterFailure(
  counter: FailureCounter | null,
  nowMs: number,
  rule: ThrottleRule,
): FailureCounter {
  const windowOpen = counter !== null && nowMs - counter.windowStartedAt < rule.windowMs;
  const failures = windowOpen ? counter.failures + 1 : 1;
  if (failures >= rule.maxFailures) {
    return { failures: 0, windowStartedAt: nowMs, blockedUntil: nowMs + rule.lockoutMs };
  }
  return {
    failures,
    windowStartedAt: windowOpen ? counter.windowStartedAt : nowMs,
    blockedUntil:
      counter !== null && retryAfterSeconds(counter, nowMs) !== null ? counter.blockedUntil : null,
  };
}
