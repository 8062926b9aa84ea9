import { type CallPriority, CallScheduler, SlidingWindow } from './call-scheduler';
import { maxInAnyWindow } from '../../test/utils/windows';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SlidingWindow', () => {
  it('should admit `rate` calls per second, paced at twice the rate, then wait for the oldest to leave', () => {
    const window = new SlidingWindow(4, 0);
    expect(window.waitMs(0)).toBe(0);
    window.record(0);
    // Paced at 2 × 4/s = one per 125 ms, less the 10 ms slack a late timer may catch up.
    expect(window.waitMs(100)).toBe(15);
    for (const t of [125, 250, 375]) {
      expect(window.waitMs(t)).toBe(0);
      window.record(t);
    }
    expect(window.waitMs(500)).toBe(500);
    expect(window.waitMs(1000)).toBe(0);
  });

  it('should hold each window a guard longer', () => {
    const window = new SlidingWindow(1, 15);
    window.record(0);
    expect(window.waitMs(1000)).toBe(15);
  });

  it('should keep its admission history when the rate changes (a share of the fleet budget)', () => {
    const window = new SlidingWindow(4, 0);
    for (const t of [0, 125, 250, 375]) {
      window.record(t);
    }
    // Halved: two a second, and the last two admissions (250, 375) still count: the next waits until 1250.
    const halved = window.withRate(2);
    expect(halved.waitMs(400)).toBe(850);
    expect(halved.waitMs(1250)).toBe(0);
    // Doubled: room for four more in the window; only the pacing of the last admission remains.
    const doubled = window.withRate(8);
    expect(doubled.waitMs(400)).toBe(90);
    expect(doubled.waitMs(500)).toBe(0);
  });

  it('should space fractional rates', () => {
    const window = new SlidingWindow(0.5, 0);
    window.record(0);
    expect(window.waitMs(1999)).toBe(1);
    expect(window.waitMs(2000)).toBe(0);
  });
});

describe('CallScheduler', () => {
  it('should apply a share of the configured limits (several instances, one vendor budget)', () => {
    const scheduler = new CallScheduler({
      globalRatePerSecond: 200,
      companyRatePerSecond: 10,
      companyConcurrency: 4,
    });
    scheduler.setShare(1 / 2);
    expect(scheduler.effectiveLimits).toEqual({
      globalRatePerSecond: 100,
      companyRatePerSecond: 5,
      companyConcurrency: 2,
    });
    // Never below one call in flight per company, and back to the whole budget when alone again.
    scheduler.setShare(1 / 8);
    expect(scheduler.effectiveLimits.companyConcurrency).toBe(1);
    scheduler.setShare(1);
    expect(scheduler.effectiveLimits).toEqual({
      globalRatePerSecond: 200,
      companyRatePerSecond: 10,
      companyConcurrency: 4,
    });
    scheduler.stop();
  });

  it('should admit no more than its share of the global rate in any second', async () => {
    const scheduler = new CallScheduler({
      globalRatePerSecond: 40,
      companyRatePerSecond: 40,
      companyConcurrency: 50,
    });
    scheduler.setShare(1 / 2);
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        scheduler.schedule(`company-${index % 5}`, () => {
          started.push(performance.now());
          return Promise.resolve();
        }),
      ),
    );
    expect(maxInAnyWindow(started, 1000)).toBeLessThanOrEqual(20);
    scheduler.stop();
  });

  it('should never admit more than the company rate in any 1-second window, nor exceed concurrency', async () => {
    const scheduler = new CallScheduler({
      globalRatePerSecond: 1000,
      companyRatePerSecond: 20,
      companyConcurrency: 3,
    });
    const started: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const task = async (): Promise<void> => {
      started.push(performance.now());
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await sleep(120);
      inFlight -= 1;
    };
    await Promise.all(Array.from({ length: 50 }, () => scheduler.schedule('company-a', task)));
    expect(maxInAnyWindow(started, 1000)).toBeLessThanOrEqual(20);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBe(3);
    scheduler.stop();
  });

  it('should keep the global rate across companies', async () => {
    const scheduler = new CallScheduler({
      globalRatePerSecond: 25,
      companyRatePerSecond: 100,
      companyConcurrency: 10,
    });
    const started: number[] = [];
    const calls = Array.from({ length: 60 }, (_, index) =>
      scheduler.schedule(`company-${index % 6}`, () => {
        started.push(performance.now());
        return Promise.resolve(index);
      }),
    );
    const results = await Promise.all(calls);
    expect(results).toEqual(Array.from({ length: 60 }, (_, index) => index));
    expect(maxInAnyWindow(started, 1000)).toBeLessThanOrEqual(25);
    scheduler.stop();
  });

  it('should serve companies round-robin so a large queue cannot starve a small one', async () => {
    const scheduler = new CallScheduler({
      globalRatePerSecond: 1000,
      companyRatePerSecond: 1000,
      companyConcurrency: 1,
    });
    const order: string[] = [];
    const run = (key: string) =>
      scheduler.schedule(key, async () => {
        order.push(key);
        await sleep(1);
      });
    const big = Array.from({ length: 20 }, () => run('big'));
    const small = [run('small'), run('small')];
    await Promise.all([...big, ...small]);
    // Both small calls run within the first few turns, not after the 20 big ones.
    expect(order.indexOf('small')).toBeLessThan(3);
    expect(order.lastIndexOf('small')).toBeLessThan(6);
    scheduler.stop();
  });

  it('should propagate task failures to the caller and keep serving', async () => {
    const scheduler = new CallScheduler({
      globalRatePerSecond: 100,
      companyRatePerSecond: 100,
      companyConcurrency: 1,
    });
    await expect(scheduler.schedule('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(scheduler.schedule('a', () => Promise.resolve('ok'))).resolves.toBe('ok');
    scheduler.stop();
  });
});

describe('CallScheduler priorities', () => {
  // The fake timers move Date.now() as they fire, so the scheduler sees time as each timer sees it.
  const now = (): number => Date.now();
  const advance = (ms: number): Promise<void> => jest.advanceTimersByTimeAsync(ms);

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  /** Schedules a call that records its label and start time, and ends when `release` is called. */
  function recorder(scheduler: CallScheduler) {
    const started: { label: string; at: number }[] = [];
    const releases = new Map<string, () => void>();
    const settled: Promise<void>[] = [];
    const add = (label: string, key: string, priority: CallPriority, holdUntilReleased = false): void => {
      settled.push(
        scheduler.schedule(
          key,
          () => {
            started.push({ label, at: now() });
            return holdUntilReleased
              ? new Promise<void>((resolve) => releases.set(label, resolve))
              : Promise.resolve();
          },
          { priority },
        ),
      );
    };
    const release = (label: string): void => (releases.get(label) as () => void)();
    return { started, add, release, settled };
  }

  it('should dispatch queued normal calls before queued low ones when the global rate is the limit', async () => {
    const scheduler = new CallScheduler(
      { globalRatePerSecond: 4, companyRatePerSecond: 100, companyConcurrency: 10 },
      now,
    );
    const { started, add, settled } = recorder(scheduler);
    for (let index = 0; index < 4; index += 1) {
      add(`low-${index}`, `health-${index}`, 'low');
    }
    for (let index = 0; index < 4; index += 1) {
      add(`normal-${index}`, `provision-${index % 2}`, 'normal');
    }
    await advance(5000);
    await Promise.all(settled);
    // low-0 took the free slot before any normal work existed; after that every normal call goes first.
    expect(started.map((call) => call.label)).toEqual([
      'low-0',
      'normal-0',
      'normal-1',
      'normal-2',
      'normal-3',
      'low-1',
      'low-2',
      'low-3',
    ]);
    expect(
      maxInAnyWindow(
        started.map((call) => call.at),
        1000,
      ),
    ).toBeLessThanOrEqual(4);
    scheduler.stop();
  });

  it("should serve a company's normal calls before its low ones", async () => {
    const scheduler = new CallScheduler(
      { globalRatePerSecond: 1000, companyRatePerSecond: 1000, companyConcurrency: 1 },
      now,
    );
    const { started, add, release, settled } = recorder(scheduler);
    add('low-busy', 'company-a', 'low', true);
    add('low-queued', 'company-a', 'low');
    add('normal-queued', 'company-a', 'normal');
    await advance(10);
    expect(started.map((call) => call.label)).toEqual(['low-busy']);
    release('low-busy');
    await advance(10);
    await Promise.all(settled);
    expect(started.map((call) => call.label)).toEqual(['low-busy', 'normal-queued', 'low-queued']);
    scheduler.stop();
  });

  it('should run low calls when no normal call waits, within the global rate', async () => {
    const scheduler = new CallScheduler(
      { globalRatePerSecond: 5, companyRatePerSecond: 100, companyConcurrency: 10 },
      now,
    );
    const { started, add, settled } = recorder(scheduler);
    for (let index = 0; index < 20; index += 1) {
      add(`low-${index}`, `company-${index % 7}`, 'low');
    }
    await advance(10_000);
    await Promise.all(settled);
    expect(started).toHaveLength(20);
    expect(
      maxInAnyWindow(
        started.map((call) => call.at),
        1000,
      ),
    ).toBeLessThanOrEqual(5);
    // Work-conserving: 20 calls at 5/s need about 4 s, not more.
    expect(started[19].at).toBeLessThan(4200);
    scheduler.stop();
  });

  it('should let a low call take a slot that waiting normal work cannot use because of its own company limit', async () => {
    const scheduler = new CallScheduler(
      { globalRatePerSecond: 1000, companyRatePerSecond: 1000, companyConcurrency: 1 },
      now,
    );
    const { started, add, release, settled } = recorder(scheduler);
    add('normal-busy', 'company-a', 'normal', true);
    add('normal-waiting', 'company-a', 'normal');
    add('low-elsewhere', 'company-b', 'low');
    await advance(10);
    expect(started.map((call) => call.label)).toEqual(['normal-busy', 'low-elsewhere']);
    release('normal-busy');
    await advance(10);
    await Promise.all(settled);
    expect(started.map((call) => call.label)).toContain('normal-waiting');
    scheduler.stop();
  });

  it('should hold the company rate for low and normal calls together', async () => {
    const scheduler = new CallScheduler(
      { globalRatePerSecond: 1000, companyRatePerSecond: 3, companyConcurrency: 10 },
      now,
    );
    const { started, add, settled } = recorder(scheduler);
    for (let index = 0; index < 6; index += 1) {
      add(`low-${index}`, 'company-a', 'low');
      add(`normal-${index}`, 'company-a', 'normal');
    }
    await advance(10_000);
    await Promise.all(settled);
    expect(started).toHaveLength(12);
    expect(
      maxInAnyWindow(
        started.map((call) => call.at),
        1000,
      ),
    ).toBeLessThanOrEqual(3);
    const labels = started.map((call) => call.label);
    // Apart from the first low call (admitted while nothing else was queued), all normal calls precede the low ones.
    expect(labels.slice(1, 7)).toEqual(Array.from({ length: 6 }, (_, index) => `normal-${index}`));
    scheduler.stop();
  });
});
