import { DEFAULT_LIMITS, LimitTracker } from './limits';

describe('LimitTracker', () => {
  it('token bucket refills at the rate on the supplied clock and never above the burst', () => {
    let now = Date.UTC(2025, 0, 1);
    const t = new LimitTracker(() => now);
    const l = { ...DEFAULT_LIMITS, ratePerSecond: 10, burst: 5, concurrency: 0 };
    for (let i = 0; i < 5; i++) {
      expect(t.acquire('c', l, true)).toEqual({ ok: true });
      t.release('c');
    }
    expect(t.acquire('c', l, true)).toEqual({ ok: false, kind: 'volume', retryAfterSeconds: 1 });
    now += 100; // one token
    expect(t.acquire('c', l, true).ok).toBe(true);
    expect(t.acquire('c', l, true).ok).toBe(false);
    now += 60_000; // long idle: capped at burst
    let ok = 0;
    while (t.acquire('c', l, true).ok) {
      ok++;
    }
    expect(ok).toBe(5);
  });

  it('Retry-After reflects the wait for one token at slow rates', () => {
    const t = new LimitTracker(() => 0);
    const l = { ...DEFAULT_LIMITS, ratePerSecond: 0.25, burst: 1, concurrency: 0 };
    expect(t.acquire('c', l, false).ok).toBe(true);
    expect(t.acquire('c', l, false)).toEqual({ ok: false, kind: 'volume', retryAfterSeconds: 4 });
  });

  it('concurrency is released on release()', () => {
    const t = new LimitTracker(() => 0);
    const l = { ...DEFAULT_LIMITS, ratePerSecond: 0, concurrency: 1 };
    expect(t.acquire('c', l, false).ok).toBe(true);
    expect(t.acquire('c', l, false).ok).toBe(false);
    t.release('c');
    expect(t.acquire('c', l, false).ok).toBe(true);
  });

  it('monthly allowance is sticky within a UTC month and resets at rollover', () => {
    let now = Date.UTC(2025, 0, 31, 23, 59);
    const t = new LimitTracker(() => now);
    const l = { ...DEFAULT_LIMITS, ratePerSecond: 0, concurrency: 0, monthlyAllowance: 2 };
    expect(t.acquire('c', l, true).ok).toBe(true);
    expect(t.acquire('c', l, true).ok).toBe(true);
    expect(t.acquire('c', l, true)).toEqual({ ok: false, kind: 'monthly' });
    expect(t.acquire('c', l, true)).toEqual({ ok: false, kind: 'monthly' });
    expect(t.monthCount('c')).toBe(2);
    now = Date.UTC(2025, 1, 1);
    expect(t.monthCount('c')).toBe(0);
    expect(t.acquire('c', l, true).ok).toBe(true);
    // Calls that do not count monthly (user-token SSO) are never blocked by the allowance.
    expect(t.acquire('u', { ...l, monthlyAllowance: 0 }, false).ok).toBe(true);
  });
});
