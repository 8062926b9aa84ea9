import { monthKeyAt } from './clock';

/**
 * Per-company limits. 0 (or null for the allowance) means unlimited. All time comes from the emulator
 * clock, so a test can refill a bucket or roll a month over by advancing it.
 */
export interface LimitOptions {
  /** Token-bucket refill rate, requests per second. 0 = no rate limit. */
  ratePerSecond: number;
  /** Bucket capacity (burst). */
  burst: number;
  /** Requests in flight at once. 0 = no cap. */
  concurrency: number;
  /** Calls per calendar month (UTC, emulator clock). null = unlimited (standard plans have no allowance). */
  monthlyAllowance: number | null;
  /** Send Retry-After (seconds) on volume 429s. */
  retryAfter: boolean;
}

export const DEFAULT_LIMITS: LimitOptions = {
  ratePerSecond: 100,
  burst: 200,
  concurrency: 25,
  monthlyAllowance: null,
  retryAfter: true,
};

interface LimitState {
  tokens: number;
  refilledAt: number;
  inflight: number;
  monthKey: number;
  monthCount: number;
}

export type LimitDecision =
  | { ok: true }
  | { ok: false; kind: 'volume'; retryAfterSeconds: number | null }
  | { ok: false; kind: 'monthly' };

const OK: LimitDecision = { ok: true };

export class LimitTracker {
  private readonly states = new Map<string, LimitState>();

  constructor(private readonly clockNow: () => number) {}

  /** Decide and, when allowed, take a token, a concurrency slot and a monthly call. Call release() after. */
  acquire(key: string, limits: LimitOptions, countMonthly: boolean): LimitDecision {
    const now = this.clockNow();
    let s = this.states.get(key);
    if (!s) {
      s = { tokens: limits.burst, refilledAt: now, inflight: 0, monthKey: monthKeyAt(now), monthCount: 0 };
      this.states.set(key, s);
    }
    if (countMonthly && limits.monthlyAllowance !== null) {
      const mk = monthKeyAt(now);
      if (mk !== s.monthKey) {
        s.monthKey = mk;
        s.monthCount = 0;
      }
      if (s.monthCount >= limits.monthlyAllowance) {
        return { ok: false, kind: 'monthly' };
      }
    }
    if (limits.concurrency > 0 && s.inflight >= limits.concurrency) {
      return { ok: false, kind: 'volume', retryAfterSeconds: limits.retryAfter ? 1 : null };
    }
    if (limits.ratePerSecond > 0) {
      const elapsed = Math.max(0, now - s.refilledAt);
      s.tokens = Math.min(limits.burst, s.tokens + (elapsed * limits.ratePerSecond) / 1000);
      s.refilledAt = now;
      if (s.tokens < 1) {
        const wait = Math.max(1, Math.ceil((1 - s.tokens) / limits.ratePerSecond));
        return { ok: false, kind: 'volume', retryAfterSeconds: limits.retryAfter ? wait : null };
      }
      s.tokens -= 1;
    }
    s.inflight++;
    if (countMonthly && limits.monthlyAllowance !== null) {
      s.monthCount++;
    } else if (countMonthly) {
      // Keep counting with no allowance so stats stay meaningful and a later allowance applies to the month.
      const mk = monthKeyAt(now);
      if (mk !== s.monthKey) {
        s.monthKey = mk;
        s.monthCount = 0;
      }
      s.monthCount++;
    }
    return OK;
  }

  release(key: string): void {
    const s = this.states.get(key);
    if (s && s.inflight > 0) {
      s.inflight--;
    }
  }

  monthCount(key: string): number {
    const s = this.states.get(key);
    if (!s) {
      return 0;
    }
    return s.monthKey === monthKeyAt(this.clockNow()) ? s.monthCount : 0;
  }

  clear(): void {
    this.states.clear();
  }
}
