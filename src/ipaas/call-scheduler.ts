/**
 * Admits vendor calls under three limits: a global rate, a per-company rate and a per-company concurrency cap,
 * serving companies round-robin so one busy company cannot starve the others.
 *
 * Written by hand: the maintained queue libraries are ESM-only (p-queue, p-limit) and cannot be required from
 * this CommonJS build, and Bottleneck has had no release since 2019. Their fixed-interval windows also allow
 * twice the rate across a window boundary, while the vendor (and our tests) count any 1-second window.
 * Rates are enforced as sliding windows: at most `k` admissions in any `k / rate` seconds, k = max(1, ⌊rate⌋).
 * The vendor counts arrivals, not departures: a burst leaves at once but arrives spread out (new sockets, a busy
 * event loop), which would let the next window's first calls land inside the previous one. So admissions are
 * also paced at no more than twice the average rate, and each window is held `WINDOW_GUARD_MS` longer.
 */
export const WINDOW_GUARD_MS = 15;
const PACE_SLACK_MS = 10;
export interface SchedulerLimits {
  globalRatePerSecond: number;
  companyRatePerSecond: number;
  companyConcurrency: number;
}

export class SlidingWindow {
  private readonly capacity: number;
  private readonly windowMs: number;
  private readonly minGapMs: number;
  private nextPaceAt = -Infinity;
  private readonly admittedAt: number[] = [];
  private head = 0;

  constructor(ratePerSecond: number, guardMs = WINDOW_GUARD_MS) {
    this.capacity = Math.max(1, Math.floor(ratePerSecond));
    this.windowMs = (this.capacity / ratePerSecond) * 1000 + guardMs;
    this.minGapMs = this.capacity > 1 ? 1000 / ratePerSecond / 2 : 0;
  }

  /** Milliseconds until one more admission fits (0: now). */
  waitMs(now: number): number {
    const admitted = this.admittedAt.length - this.head;
    const paceWait = this.nextPaceAt - now;
    if (admitted < this.capacity) {
      return Math.max(0, paceWait);
    }
    const oldest = this.admittedAt[this.head];
    return Math.max(0, oldest + this.windowMs - now, paceWait);
  }

  record(now: number): void {
    // The pace is a schedule, not "last + gap": a timer that fires late admits what is owed, so 1-ms timer
    // granularity does not cap high rates. The slack bounds how much can be owed after an idle spell.
    this.nextPaceAt = Math.max(this.nextPaceAt, now - PACE_SLACK_MS) + this.minGapMs;
    this.admittedAt.push(now);
    // Keep only the last `capacity` admissions; compact now and then instead of shifting on every call.
    while (this.admittedAt.length - this.head > this.capacity) {
      this.head += 1;
    }
    if (this.head > 1024) {
      this.admittedAt.splice(0, this.head);
      this.head = 0;
    }
  }
}

interface QueuedTask {
  run: () => void;
}

interface Lane {
  key: string;
  queue: QueuedTask[];
  inFlight: number;
  window: SlidingWindow;
}

export class CallScheduler {
  private readonly lanes = new Map<string, Lane>();
  /** Keys of lanes with queued work, visited round-robin from `cursor`. */
  private readonly ring: string[] = [];
  private cursor = 0;
  private readonly global: SlidingWindow;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly limits: SchedulerLimits,
    // Monotonic time, not the wall clock: admissions must not jump when a test moves the clock.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.global = new SlidingWindow(limits.globalRatePerSecond);
  }

  /** Runs `task` once the limits admit one more call for `key`; settles with the task's result. */
  schedule<T>(key: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const lane = this.laneFor(key);
      lane.queue.push({
        run: () => {
          lane.inFlight += 1;
          task()
            .then(resolve, reject)
            .finally(() => {
              lane.inFlight -= 1;
              this.pump();
            });
        },
      });
      if (lane.queue.length === 1) {
        this.ring.push(key);
      }
      this.pump();
    });
  }

  get queued(): number {
    let total = 0;
    for (const lane of this.lanes.values()) {
      total += lane.queue.length;
    }
    return total;
  }

  inFlight(key: string): number {
    return this.lanes.get(key)?.inFlight ?? 0;
  }

  private laneFor(key: string): Lane {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { key, queue: [], inFlight: 0, window: new SlidingWindow(this.limits.companyRatePerSecond) };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private pump(): void {
    const now = this.now();
    let earliest = Infinity;
    let visited = 0;
    while (this.ring.length > 0 && visited < this.ring.length) {
      const globalWait = this.global.waitMs(now);
      if (globalWait > 0) {
        earliest = Math.min(earliest, globalWait);
        break;
      }
      if (this.cursor >= this.ring.length) {
        this.cursor = 0;
      }
      const lane = this.lanes.get(this.ring[this.cursor]) as Lane;
      const laneWait = lane.window.waitMs(now);
      if (lane.inFlight >= this.limits.companyConcurrency || laneWait > 0) {
        if (laneWait > 0) {
          earliest = Math.min(earliest, laneWait);
        }
        this.cursor += 1;
        visited += 1;
        continue;
      }
      const task = lane.queue.shift() as QueuedTask;
      this.global.record(now);
      lane.window.record(now);
      if (lane.queue.length === 0) {
        this.ring.splice(this.cursor, 1);
      } else {
        this.cursor += 1;
      }
      visited = 0;
      task.run();
    }
    this.forgetIdleLanes();
    if (earliest !== Infinity) {
      this.arm(now, earliest);
    }
  }

  private forgetIdleLanes(): void {
    // Idle lanes keep their window only while it still matters; bounded memory across thousands of companies.
    if (this.lanes.size <= 4096) {
      return;
    }
    const now = this.now();
    for (const [key, lane] of this.lanes) {
      if (lane.queue.length === 0 && lane.inFlight === 0 && lane.window.waitMs(now) === 0) {
        this.lanes.delete(key);
      }
    }
  }

  private arm(now: number, waitMs: number): void {
    const at = now + waitMs;
    if (this.timer !== undefined && this.timerAt <= at) {
      return;
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(1, Math.ceil(waitMs)),
    );
  }

  /** Stops the timer (app shutdown); queued tasks are left unsettled. */
  stop(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
