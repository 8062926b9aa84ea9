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

  constructor(
    ratePerSecond: number,
    private readonly guardMs = WINDOW_GUARD_MS,
  ) {
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

  /** The same admission history under another rate: a rate change neither forgets nor forgives recent calls. */
  withRate(ratePerSecond: number): SlidingWindow {
    const resized = new SlidingWindow(ratePerSecond, this.guardMs);
    for (const at of this.admittedAt.slice(this.head)) {
      resized.record(at);
    }
    resized.nextPaceAt = this.nextPaceAt;
    return resized;
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

/**
 * `low` work (health checks) draws on the same limits as `normal` work (provisioning) but only takes a slot that
 * no normal call is waiting for: within a company, queued normal calls always go first; across companies, a low
 * call is admitted only when no normal call could be admitted now. A normal call held back solely by its own
 * company's rate or concurrency does not block low calls elsewhere: it is not waiting for the global slot, and
 * stalling every health check behind one busy company would waste the vendor's rate. By design there is no
 * aging: while normal work saturates the global rate, low work waits (health checks yield to provisioning).
 */
export type CallPriority = 'normal' | 'low';
const PRIORITIES: readonly CallPriority[] = ['normal', 'low'];

export interface ScheduleOptions {
  priority?: CallPriority;
}

interface QueuedTask {
  run: () => void;
}

interface Lane {
  key: string;
  queues: Record<CallPriority, QueuedTask[]>;
  inFlight: number;
  window: SlidingWindow;
}

/** Keys of lanes with queued work of one priority, visited round-robin from `cursor`. */
interface Ring {
  keys: string[];
  cursor: number;
}

export class CallScheduler {
  private readonly lanes = new Map<string, Lane>();
  private readonly rings: Record<CallPriority, Ring> = {
    normal: { keys: [], cursor: 0 },
    low: { keys: [], cursor: 0 },
  };
  private global: SlidingWindow;
  /** The limits this instance applies: the configured ones times its share of the fleet's vendor budget. */
  private limits: SchedulerLimits;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly configured: SchedulerLimits,
    // Monotonic time, not the wall clock: admissions must not jump when a test moves the clock.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.limits = configured;
    this.global = new SlidingWindow(configured.globalRatePerSecond);
  }

  /**
   * Applies `share` (0 < share ≤ 1) of the configured limits: with N instances on one vendor account each
   * takes 1/N, so together they stay within the vendor's limits. History carries over (see withRate).
   */
  setShare(share: number): void {
    const limits: SchedulerLimits = {
      globalRatePerSecond: this.configured.globalRatePerSecond * share,
      companyRatePerSecond: this.configured.companyRatePerSecond * share,
      companyConcurrency: Math.max(1, Math.floor(this.configured.companyConcurrency * share)),
    };
    if (limits.globalRatePerSecond === this.limits.globalRatePerSecond) {
      return;
    }
    this.limits = limits;
    this.global = this.global.withRate(limits.globalRatePerSecond);
    for (const lane of this.lanes.values()) {
      lane.window = lane.window.withRate(limits.companyRatePerSecond);
    }
    this.pump();
  }

  get effectiveLimits(): SchedulerLimits {
    return this.limits;
  }

  /** Runs `task` once the limits admit one more call for `key`; settles with the task's result. */
  schedule<T>(key: string, task: () => Promise<T>, options: ScheduleOptions = {}): Promise<T> {
    const priority = options.priority ?? 'normal';
    return new Promise<T>((resolve, reject) => {
      const lane = this.laneFor(key);
      const queue = lane.queues[priority];
      queue.push({
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
      if (queue.length === 1) {
        this.rings[priority].keys.push(key);
      }
      this.pump();
    });
  }

  get queued(): number {
    let total = 0;
    for (const lane of this.lanes.values()) {
      total += lane.queues.normal.length + lane.queues.low.length;
    }
    return total;
  }

  inFlight(key: string): number {
    return this.lanes.get(key)?.inFlight ?? 0;
  }

  private laneFor(key: string): Lane {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = {
        key,
        queues: { normal: [], low: [] },
        inFlight: 0,
        window: new SlidingWindow(this.limits.companyRatePerSecond),
      };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private pump(): void {
    const now = this.now();
    const wait = { earliest: Infinity };
    // Once no normal lane can be served in this pass, none can until time moves or a call ends (admitting a low
    // call never frees a normal lane), so the normal ring is not scanned again for every low admission.
    const exhausted = new Set<CallPriority>();
    for (;;) {
      const globalWait = this.global.waitMs(now);
      if (globalWait > 0) {
        wait.earliest = Math.min(wait.earliest, globalWait);
        break;
      }
      const admitted = PRIORITIES.some((priority) => {
        if (exhausted.has(priority)) {
          return false;
        }
        if (this.admitNext(priority, now, wait)) {
          return true;
        }
        exhausted.add(priority);
        return false;
      });
      if (!admitted) {
        break;
      }
    }
    this.forgetIdleLanes();
    if (wait.earliest !== Infinity) {
      this.arm(now, wait.earliest);
    }
  }
  /** Admits the next servable lane's call of `priority`, round-robin; false when no lane can be served now. */
  private admitNext(priority: CallPriority, now: number, wait: { earliest: number }): boolean {
    const ring = this.rings[priority];
    for (let visited = 0; visited < ring.keys.length; visited += 1) {
      if (ring.cursor >= ring.keys.length) {
        ring.cursor = 0;
      }
      const lane = this.lanes.get(ring.keys[ring.cursor]) as Lane;
      const laneWait = lane.window.waitMs(now);
      const yieldsToNormal = priority === 'low' && lane.queues.normal.length > 0;
      if (yieldsToNormal || lane.inFlight >= this.limits.companyConcurrency || laneWait > 0) {
        if (laneWait > 0) {
          wait.earliest = Math.min(wait.earliest, laneWait);
        }
        ring.cursor += 1;
        continue;
      }
      const queue = lane.queues[priority];
      const task = queue.shift() as QueuedTask;
      this.global.record(now);
      lane.window.record(now);
      if (queue.length === 0) {
        ring.keys.splice(ring.cursor, 1);
      } else {
        ring.cursor += 1;
      }
      task.run();
      return true;
    }
    return false;
  }

  private forgetIdleLanes(): void {
    // Idle lanes keep their window only while it still matters; bounded memory across thousands of companies.
    if (this.lanes.size <= 4096) {
      return;
    }
    const now = this.now();
    for (const [key, lane] of this.lanes) {
      if (
        lane.queues.normal.length === 0 &&
        lane.queues.low.length === 0 &&
        lane.inFlight === 0 &&
        lane.window.waitMs(now) === 0
      ) {
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
