import {
  type FailureCounter,
  retryAfterSeconds,
  throttleAddress,
  throttleKeys,
  type ThrottleRule,
} from './login-throttle';

const RULE: ThrottleRule = { maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000 };
const T0 = 1_700_000_000_000;

function counter(overrides: Partial<FailureCounter>): FailureCounter {
  return { failures: 0, pending: 0, windowStartedAt: T0, blockedUntil: null, ...overrides };
}

describe('login throttle', () => {
  it('should not hold back a key below the limit, or an unknown one', () => {
    expect(retryAfterSeconds(counter({ failures: 1, pending: 1 }), T0 + 1000, RULE)).toBeNull();
    expect(retryAfterSeconds(null, T0, RULE)).toBeNull();
  });

  it('should hold back a locked-out key until the lockout ends, rounding Retry-After up', () => {
    const locked = counter({ blockedUntil: T0 + 300_000 });
    expect(retryAfterSeconds(locked, T0, RULE)).toBe(300);
    expect(retryAfterSeconds(locked, T0 + 299_500, RULE)).toBe(1);
    expect(retryAfterSeconds(counter({ blockedUntil: T0 + 1001 }), T0, RULE)).toBe(2);
    expect(retryAfterSeconds(locked, T0 + 300_000, RULE)).toBeNull();
  });

  it('should ask for a second when every slot of the window is taken by checks still running', () => {
    expect(retryAfterSeconds(counter({ failures: 1, pending: 2 }), T0 + 1000, RULE)).toBe(1);
    // Once the window is over, the next reservation starts a new one.
    expect(retryAfterSeconds(counter({ failures: 1, pending: 2 }), T0 + 60_000, RULE)).toBeNull();
  });

  it('should count IPv4 (also IPv4-mapped) as is and IPv6 by its /64', () => {
    expect(throttleAddress('192.0.2.7')).toBe('192.0.2.7');
    expect(throttleAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(throttleAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('::1')).toBe('::/64');
    expect(throttleAddress('unknown')).toBe('unknown');
  });

  it('should reserve the address first and the account-wide ceiling last', () => {
    expect(throttleKeys('a@b.example', '192.0.2.7')).toEqual([
      { scope: 'address', key: 'ip:192.0.2.7' },
      { scope: 'account_address', key: 'account-ip:192.0.2.7:a@b.example' },
      { scope: 'account', key: 'account:a@b.example' },
    ]);
  });
});
