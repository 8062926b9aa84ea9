import { Clock } from '../../common/time/clock';
import { ItemLease, LeaseLost, LeaseTooShort } from './item-lease';
import type { LedgerRepository } from './ledger.repository';
import type { ItemClaim } from './ledger.types';

/** A clock moved by hand; `sleep` is not used by the lease. */
class ManualClock extends Clock {
  constructor(private at = 1_000_000) {
    super();
  }

  nowMs(): number {
    return this.at;
  }

  sleep(): Promise<void> {
    return Promise.resolve();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

const LEASE_MS = 3000;

/** The ledger's heartbeat only: it answers `held` and can take time on the manual clock. */
function fakeLedger(clock: ManualClock, options: { held?: boolean; takesMs?: number } = {}) {
  const heartbeats: { claim: ItemClaim; now: number; until: number }[] = [];
  const ledger = {
    heartbeat: (claim: ItemClaim, now: number, until: number) => {
      heartbeats.push({ claim, now, until });
      clock.advance(options.takesMs ?? 0);
      return Promise.resolve(options.held ?? true);
    },
  };
  return { ledger: ledger as unknown as LedgerRepository, heartbeats };
}

describe('ItemLease', () => {
  const claimAt = (clock: ManualClock, leftMs: number) => ({
    itemId: 'item-1',
    jobId: 'job-1',
    fence: 3,
    leaseUntil: clock.nowMs() + leftMs,
  });

  it('does not touch the ledger while more than the needed time is left', async () => {
    const clock = new ManualClock();
    const { ledger, heartbeats } = fakeLedger(clock);
    const lease = new ItemLease(claimAt(clock, LEASE_MS), ledger, clock, LEASE_MS);
    await lease.ensure(1000);
    clock.advance(1999);
    await lease.ensure(1000);
    expect(heartbeats).toEqual([]);
  });

  it('renews (fenced) when too little is left, then lets the write go with a full lease ahead', async () => {
    const clock = new ManualClock();
    const { ledger, heartbeats } = fakeLedger(clock);
    const lease = new ItemLease(claimAt(clock, LEASE_MS), ledger, clock, LEASE_MS);
    clock.advance(2500);
    await lease.ensure(1000);
    expect(heartbeats).toEqual([
      {
        claim: expect.objectContaining({ itemId: 'item-1', fence: 3 }),
        now: clock.nowMs(),
        until: clock.nowMs() + LEASE_MS,
      },
    ]);
    expect(lease.leftMs()).toBe(LEASE_MS);
  });

  it('renews a lease that already lapsed when nobody took it over', async () => {
    const clock = new ManualClock();
    const { ledger } = fakeLedger(clock);
    const lease = new ItemLease(claimAt(clock, LEASE_MS), ledger, clock, LEASE_MS);
    clock.advance(LEASE_MS * 5);
    await expect(lease.ensure(1000)).resolves.toBeUndefined();
  });

  it('refuses the write when the item was taken over (the fenced renewal changes nothing)', async () => {
    const clock = new ManualClock();
    const { ledger } = fakeLedger(clock, { held: false });
    const lease = new ItemLease(claimAt(clock, LEASE_MS), ledger, clock, LEASE_MS);
    clock.advance(LEASE_MS + 1);
    await expect(lease.ensure(1000)).rejects.toBeInstanceOf(LeaseLost);
    expect(lease.isLost).toBe(true);
    // Lost for good: later checks refuse at once, even with time "left".
    await expect(lease.ensure(0)).rejects.toBeInstanceOf(LeaseLost);
  });

  it('refuses the write, as too short, when the renewal itself took so long that too little is left', async () => {
    const clock = new ManualClock();
    const { ledger } = fakeLedger(clock, { takesMs: 2500 });
    const lease = new ItemLease(claimAt(clock, 500), ledger, clock, LEASE_MS);
    const refusal = lease.ensure(1000);
    await expect(refusal).rejects.toBeInstanceOf(LeaseTooShort);
    await expect(refusal).rejects.toThrow(
      'Only 500 ms of the lease are left; a vendor write needs more than 1000 ms',
    );
    expect(lease.isLost).toBe(false);
  });

  it('a lease the pool found lost refuses every write without a renewal of its own', async () => {
    const clock = new ManualClock();
    const { ledger, heartbeats } = fakeLedger(clock);
    const lease = new ItemLease(claimAt(clock, LEASE_MS), ledger, clock, LEASE_MS);
    lease.renewed(null);
    await expect(lease.ensure(1000)).rejects.toBeInstanceOf(LeaseLost);
    expect(heartbeats).toEqual([]);
  });

  it('keeps the later of two renewals and makes one ledger write for concurrent checks', async () => {
    const clock = new ManualClock();
    const { ledger, heartbeats } = fakeLedger(clock);
    const lease = new ItemLease(claimAt(clock, 100), ledger, clock, LEASE_MS);
    await Promise.all([lease.ensure(1000), lease.ensure(1000), lease.ensure(1000)]);
    expect(heartbeats).toHaveLength(1);
    lease.renewed(clock.nowMs() + 10);
    expect(lease.leftMs()).toBe(LEASE_MS);
  });
});
