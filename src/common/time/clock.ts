/**
 * The only source of time and waiting for services. Production uses `SystemClock`; tests hand `createApp` a
 * clock that follows the emulator's virtual time, so token expiry and schedules are testable.
 */
export abstract class Clock {
  /** Milliseconds since the epoch. */
  abstract nowMs(): number;

  /** Resolves after `ms` milliseconds (real time: backoff and rate-limit waits). */
  abstract sleep(ms: number): Promise<void>;

  now(): Date {
    return new Date(this.nowMs());
  }
}

export class SystemClock extends Clock {
  nowMs(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}

/**
 * Real time shifted by an offset that tests move forward (`advance`), so expiries can be reached without
 * waiting while sleeps stay real.
 */
export class OffsetClock extends SystemClock {
  private offsetMs = 0;

  constructor(private readonly source: () => number = () => Date.now()) {
    super();
  }

  override nowMs(): number {
    return this.source() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
