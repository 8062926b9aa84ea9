import { CallScheduler, SlidingWindow } from './call-scheduler';
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

  it('should space fractional rates', () => {
    const window = new SlidingWindow(0.5, 0);
    window.record(0);
    expect(window.waitMs(1999)).toBe(1);
    expect(window.waitMs(2000)).toBe(0);
  });
});

describe('CallScheduler', () => {
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
