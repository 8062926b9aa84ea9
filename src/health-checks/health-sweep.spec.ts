import { SchedulerRegistry } from '@nestjs/schedule';
import type { PinoLogger } from 'nestjs-pino';

import { Clock } from '../common/time/clock';
import type { ClusterLeases } from '../cluster/cluster-leases.service';
import type { AppConfig } from '../config/app-config';
import type { SubscribersService } from '../subscribers/subscribers.service';
import type { HealthCheckService } from './health-check.service';
import type { HealthChecksRepository } from './health-checks.repository';
import { currentFireTime, HealthSweeper, nextFireTimes, sweepOffsets } from './health-sweep';

class FakeClock extends Clock {
  constructor(public ms: number) {
    super();
  }
  nowMs(): number {
    return this.ms;
  }
  /** Concurrent sleepers each wake at their own target: time only moves forward. */
  sleep(ms: number): Promise<void> {
    const target = this.ms + ms;
    return Promise.resolve().then(() => {
      this.ms = Math.max(this.ms, target);
    });
  }
}

const DAY = 24 * 60 * 60 * 1000;
const logger = {
  warn: jest.fn(),
  info: jest.fn(),
  debug: jest.fn(),
  error: jest.fn(),
} as unknown as PinoLogger;
const config = {
  healthChecks: { cron: '*/15 * * * *', concurrency: 2, historyDays: 30, alertConfirmations: 2 },
};

function sweeperWith(clock: FakeClock, check: (id: string) => Promise<unknown>, concurrency = 2) {
  const ids = ['a', 'b', 'c'];
  const repository = {
    activeSubscriberIds: jest.fn(() => Promise.resolve(ids)),
    pruneBefore: jest.fn(() => Promise.resolve(0)),
  };
  // 'c' was deleted after the id list was read: its check gets no row.
  const subscribers = {
    getMany: jest.fn((page: string[]) =>
      Promise.resolve(page.filter((id) => id !== 'c').map((id) => ({ id, name: `row ${id}` }))),
    ),
  };
  // Ticks another instance claimed (by fire time, ISO).
  const claimedElsewhere = new Set<string>();
  const leases = {
    claimTick: jest.fn((_job: string, fired: Date) =>
      Promise.resolve(!claimedElsewhere.has(fired.toISOString())),
    ),
    pruneExpired: jest.fn(() => Promise.resolve(0)),
    acquire: jest.fn((_name: string, _ttlMs: number) => Promise.resolve(true)),
    release: jest.fn((_name: string) => Promise.resolve()),
    instanceId: 'this-instance',
  };
  const started: Array<{ id: string; at: number }> = [];
  const checks = {
    refreshMispListing: jest.fn(() => Promise.resolve()),
    isUnlisted: jest.fn((_row: { id: string }) => false),
    check: jest.fn(async (id: string, _known?: unknown) => {
      started.push({ id, at: clock.ms });
      await check(id);
      return { vendorCalls: 1 };
    }),
  };
  const sweeper = new HealthSweeper(
    checks as unknown as HealthCheckService,
    repository as unknown as HealthChecksRepository,
    subscribers as unknown as SubscribersService,
    leases as unknown as ClusterLeases,
    new SchedulerRegistry(),
    clock,
    { healthChecks: { ...config.healthChecks, concurrency } } as unknown as AppConfig,
    logger,
  );
  return { sweeper, repository, subscribers, leases, claimedElsewhere, started, checks };
}

describe('health sweep', () => {
  it('reads the MiSP list while checking; a company it leaves out, checked before it came, is checked again', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T10:00:00Z'));
    let listingDone!: () => void;
    const { sweeper, checks } = sweeperWith(clock, () => Promise.resolve());
    checks.refreshMispListing.mockImplementation(
      () => new Promise<void>((resolve) => (listingDone = resolve)),
    );
    checks.isUnlisted.mockImplementation((row) => row.id === 'b');
    sweeper.start(0);
    await new Promise((resolve) => setImmediate(resolve));
    // Every check ran while the list was still being read.
    expect(checks.check.mock.calls.map(([id]) => id)).toEqual(['a', 'b', 'c']);
    listingDone();
    await sweeper.current;
    expect(checks.check.mock.calls.map(([id]) => id)).toEqual(['a', 'b', 'c', 'b']);
    expect(sweeper.summary).toMatchObject({ companies: 3, checked: 3, vendorCalls: 4 });
  });

  it('reads the subscriber rows once per page and hands each check its row', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T10:00:00Z'));
    const { sweeper, subscribers, checks } = sweeperWith(clock, () => Promise.resolve());
    sweeper.start(0);
    await sweeper.current;
    expect(subscribers.getMany).toHaveBeenCalledTimes(1);
    expect(subscribers.getMany).toHaveBeenCalledWith(['a', 'b', 'c']);
    expect(checks.check.mock.calls).toEqual([
      ['a', { id: 'a', name: 'row a' }],
      ['b', { id: 'b', name: 'row b' }],
      ['c', undefined],
    ]);
  });

  it('names a firing by its scheduled time, whatever the timer lateness', () => {
    const cron = '*/15 * * * *';
    expect(currentFireTime(cron, new Date('2026-01-01T10:15:00.004Z')).toISOString()).toBe(
      '2026-01-01T10:15:00.000Z',
    );
    expect(currentFireTime(cron, new Date('2026-01-01T10:15:00.950Z')).toISOString()).toBe(
      '2026-01-01T10:15:00.000Z',
    );
    // A timer firing a hair early still names the tick it was set for.
    expect(currentFireTime(cron, new Date('2026-01-01T10:14:59.990Z')).toISOString()).toBe(
      '2026-01-01T10:15:00.000Z',
    );
  });

  it('sweeps on a tick only when this instance claims it', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T10:15:00.010Z'));
    const { sweeper, leases, claimedElsewhere, checks } = sweeperWith(clock, () => Promise.resolve());
    claimedElsewhere.add('2026-01-01T10:15:00.000Z');
    await sweeper.onTick();
    expect(sweeper.current).toBeUndefined();
    expect(checks.check).not.toHaveBeenCalled();

    clock.ms = Date.parse('2026-01-01T10:30:00.020Z');
    await sweeper.onTick();
    expect(leases.claimTick).toHaveBeenLastCalledWith(
      'health-checks.sweep',
      new Date('2026-01-01T10:30:00.000Z'),
    );
    await sweeper.current;
    expect(checks.check).toHaveBeenCalledTimes(3);
    // The fleet-wide "sweep running" lease was held for the sweep and let go after it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(leases.acquire).toHaveBeenCalledWith('running:health-checks.sweep', 60_000);
    expect(leases.release).toHaveBeenCalledWith('running:health-checks.sweep');
  });

  it('skips a tick while its own sweep still runs, leaving the fleet-wide lease to that sweep', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T10:15:00.010Z'));
    let finish!: () => void;
    const checksHeld = new Promise<void>((resolve) => (finish = resolve));
    const { sweeper, leases } = sweeperWith(clock, () => checksHeld, 1);
    await sweeper.onTick();
    const first = sweeper.current;
    clock.ms = Date.parse('2026-01-01T10:30:00.010Z');
    await sweeper.onTick();
    expect(leases.acquire).toHaveBeenCalledTimes(1);
    expect(leases.release).not.toHaveBeenCalled();
    finish();
    await first;
  });

  it('skips a tick it claimed while another instance is still sweeping', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T10:15:00.010Z'));
    const { sweeper, leases, checks } = sweeperWith(clock, () => Promise.resolve());
    leases.acquire.mockResolvedValue(false);
    await sweeper.onTick();
    expect(sweeper.current).toBeUndefined();
    expect(checks.check).not.toHaveBeenCalled();
  });

  it('fires on the cron schedule (UTC)', () => {
    const fires = nextFireTimes('*/15 * * * *', new Date('2026-01-01T10:07:30Z'), 3);
    expect(fires.map((d) => d.toISOString())).toEqual([
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:30:00.000Z',
      '2026-01-01T10:45:00.000Z',
    ]);
  });

  it('spreads checks with jitter inside their slots of the window', () => {
    const offsets = sweepOffsets(4, 1000, () => 0.999);
    expect(offsets).toEqual([249, 499, 749, 999]);
    expect(sweepOffsets(4, 1000, () => 0)).toEqual([0, 250, 500, 750]);
    for (const offset of sweepOffsets(1000, 60000)) {
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(60000);
    }
  });

  it('starts each check at its offset on the fake clock', async () => {
    const clock = new FakeClock(1_000_000);
    const { sweeper, started, checks } = sweeperWith(clock, () => Promise.resolve(), 1);
    sweeper.random = () => 0.5;
    expect(sweeper.start(900)).toBe(true);
    await sweeper.current;
    // The MiSP's subscriber list is read once per sweep, not once per company.
    expect(checks.refreshMispListing).toHaveBeenCalledTimes(1);
    expect(started.map((s) => s.at - 1_000_000).sort((x, y) => x - y)).toEqual([150, 450, 750]);
    expect(sweeper.summary).toMatchObject({ companies: 3, checked: 3, vendorCalls: 1 * 3 });
  });

  it('never overlaps: a sweep due while one runs is skipped', async () => {
    const clock = new FakeClock(0);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { sweeper, repository } = sweeperWith(clock, () => gate);
    expect(sweeper.start(0)).toBe(true);
    expect(sweeper.start(0)).toBe(false);
    release();
    await sweeper.current;
    expect(repository.activeSubscriberIds).toHaveBeenCalledTimes(1);
    expect(sweeper.start(0)).toBe(true);
    await sweeper.current;
  });

  it('prunes history older than the retention, at most once a day', async () => {
    const clock = new FakeClock(100 * DAY);
    const { sweeper, repository } = sweeperWith(clock, () => Promise.resolve());
    await sweeper.pruneIfDue();
    expect(repository.pruneBefore).toHaveBeenCalledWith(new Date(70 * DAY));
    clock.ms += DAY - 1;
    await sweeper.pruneIfDue();
    expect(repository.pruneBefore).toHaveBeenCalledTimes(1);
    clock.ms += 1;
    await sweeper.pruneIfDue();
    expect(repository.pruneBefore).toHaveBeenCalledTimes(2);
  });
});
