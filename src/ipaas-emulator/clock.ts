/**
 * The emulator's only source of time. Nothing else in src/ipaas-emulator reads the wall clock: every
 * expiry, rate bucket, month rollover and timestamp goes through an EmulatorClock so tests can drive it.
 */
export interface EmulatorClock {
  /** Milliseconds since the Unix epoch, on the emulator's (possibly virtual) time line. */
  now(): number;
  /** Optional: move virtual time forward. Both clocks below implement it. */
  advance?(ms: number): void;
}

/** 2025-01-01T00:00:00Z: the default start of a ManualClock. */
export const DEFAULT_MANUAL_START_MS = Date.UTC(2025, 0, 1);

/** Fixed time for tests: it only moves when told to. */
export class ManualClock implements EmulatorClock {
  private current: number;

  constructor(startMs: number = DEFAULT_MANUAL_START_MS) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError('advance(ms) needs a finite, non-negative number');
    }
    this.current += ms;
  }

  set(ms: number): void {
    if (!Number.isFinite(ms)) {
      throw new RangeError('set(ms) needs a finite number');
    }
    this.current = ms;
  }
}

/** Default clock: real time plus an offset that advance() increases (so tokens can be expired on demand). */
export class RealTimeClock implements EmulatorClock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError('advance(ms) needs a finite, non-negative number');
    }
    this.offset += ms;
  }

  get offsetMs(): number {
    return this.offset;
  }
}

/** Monotonic milliseconds for measuring durations (journal, seed timing); never used for behaviour. */
export function monotonicMs(): number {
  return performance.now();
}

/** ISO-8601 with an explicit offset, as the vendor's DateTimeOffset fields are described. */
export function isoAt(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/** A number that changes exactly when the UTC calendar month changes. */
export function monthKeyAt(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** First millisecond of the UTC month after the one containing ms. */
export function nextMonthStartAt(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
