import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { OffsetClock } from '../../src/common/time/clock';
import type { AppConfig } from '../../src/config/app-config';
import { Transactions } from '../../src/database/transactions';
import { VendorError } from '../../src/ipaas/vendor-error';
import { JobTemplates } from '../../src/provisioning/jobs/job-templates';
import { ItemLease } from '../../src/provisioning/ledger/item-lease';
import { ItemRunner } from '../../src/provisioning/ledger/item-runner';
import { JobLifecycle } from '../../src/provisioning/ledger/job-lifecycle';
import { newItemRow, newJobRow, toStepRow } from '../../src/provisioning/ledger/ledger-rows';
import { LedgerRepository } from '../../src/provisioning/ledger/ledger.repository';
import type { ItemClaim, LeasedClaim } from '../../src/provisioning/ledger/ledger.types';
import { ProvisioningEventEntity } from '../../src/provisioning/ledger/provisioning-event.entity';
import { ProvisioningItemEntity } from '../../src/provisioning/ledger/provisioning-item.entity';
import { ProvisioningJobEntity } from '../../src/provisioning/ledger/provisioning-job.entity';
import { ProvisioningStepEntity } from '../../src/provisioning/ledger/provisioning-step.entity';
import { ProvisioningMetrics } from '../../src/provisioning/ledger/provisioning.metrics';
import type { ProvisioningWorkers } from '../../src/provisioning/ledger/worker-pool';
import { StepPlanner } from '../../src/provisioning/steps/step.types';
import { SubscribersService } from '../../src/subscribers/subscribers.service';
import {
  created,
  eventually,
  FakePlanner,
  gate,
  QUIET_LOGGER,
  ScriptedExecutor,
  startScriptedWorkers,
} from '../utils/provisioning-fakes';
import {
  describeOnPostgres,
  type PostgresInstances,
  startPostgresInstances,
} from '../utils/postgres-instances';
import { SandboxCompanies } from '../utils/sandbox-companies';
import { startTestApp, type TestApp } from '../utils/test-app';

const LEASE_MS = 30_000;
const TRANSIENT = new VendorError('server', 'HTTP 503 Service Unavailable', { status: 503 });

interface SeedOptions {
  items: number;
  /** Subscriber of each item (default: a distinct made-up id per item). */
  subscriberIds?: string[];
  steps?: number;
  maxInFlight?: number | null;
  createdAt?: number;
}

/** Writes a running job with pending items (and `steps` user steps per item) straight into the ledger. */
async function seedJob(
  dataSource: DataSource,
  ledger: LedgerRepository,
  options: SeedOptions,
): Promise<{ jobId: string; itemIds: string[] }> {
  const now = new Date(options.createdAt ?? Date.now());
  const jobId = randomUUID();
  const job = {
    ...newJobRow(
      {
        id: jobId,
        templateId: randomUUID(),
        templateVersion: 1,
        mode: 'apply',
        maxInFlight: options.maxInFlight ?? null,
        items: options.items,
        createdBy: 'test',
      },
      now,
    ),
    state: 'running' as const,
  };
  // Due from the epoch: claims in these tests run at any (possibly time-travelled) instant.
  const items = Array.from({ length: options.items }, (_, rowIndex) => ({
    ...newItemRow(
      { id: randomUUID(), jobId, subscriberId: options.subscriberIds?.[rowIndex] ?? randomUUID(), rowIndex },
      now,
    ),
    nextAttemptAt: new Date(0),
  }));
  const steps = items.flatMap((item) =>
    Array.from({ length: options.steps ?? 0 }, (_, index) =>
      toStepRow(
        item.id,
        {
          index,
          kind: 'user',
          key: `user:u${index}@example.test`,
          desired: { email: `u${index}@example.test` },
          action: null,
          estimatedCalls: 2,
        },
        now,
      ),
    ),
  );
  await dataSource.getRepository(ProvisioningJobEntity).insert(job);
  await ledger.insertChunked(dataSource.manager, ProvisioningItemEntity, items);
  await ledger.insertChunked(dataSource.manager, ProvisioningStepEntity, steps);
  return { jobId, itemIds: items.map((item) => item.id) };
}

/** Claims until nothing is left; each claimer runs this concurrently. */
async function drain(ledger: LedgerRepository, owner: string, now: number): Promise<ItemClaim[]> {
  const claims: ItemClaim[] = [];
  for (;;) {
    const claim = await ledger.claim(owner, now, now + LEASE_MS);
    if (claim === null) {
      return claims;
    }
    claims.push(claim);
  }
}

describe('provisioning ledger: claims, leases and fencing (SQLite)', () => {
  let t: TestApp;
  let dataSource: DataSource;
  let ledger: LedgerRepository;
  let clock: OffsetClock;
  let companies: SandboxCompanies;

  const item = async (id: string): Promise<ProvisioningItemEntity> =>
    await dataSource.getRepository(ProvisioningItemEntity).findOneByOrFail({ id });
  const steps = (itemId: string): Promise<ProvisioningStepEntity[]> =>
    dataSource.getRepository(ProvisioningStepEntity).find({ where: { itemId }, order: { stepIndex: 'ASC' } });
  const setLease = (itemId: string, expiresAt: number): Promise<unknown> =>
    dataSource.query('UPDATE provisioning_items SET lease_expires_at = $1 WHERE id = $2', [
      expiresAt,
      itemId,
    ]);
  const seed = (options: SeedOptions) => seedJob(dataSource, ledger, options);
  const registerSubscriber = async (index: number): Promise<string> =>
    (
      await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: companies.next(), name: `Company ${index}` })
        .expect(201)
    ).body.id as string;

  beforeAll(async () => {
    clock = new OffsetClock();
    t = await startTestApp({ PROVISIONING_CONCURRENCY: '0' }, { clock });
    companies = await SandboxCompanies.of(t);
    dataSource = t.app.get(DataSource);
    ledger = t.app.get(LedgerRepository);
  });

  afterAll(async () => {
    await t.close();
  });

  beforeEach(async () => {
    // Every test starts from an empty ledger, so claims only see the test's own items.
    for (const table of [
      'provisioning_events',
      'provisioning_steps',
      'provisioning_items',
      'provisioning_jobs',
    ]) {
      await dataSource.query(`DELETE FROM ${table}`);
    }
  });

  it('J2: a worker whose lease was taken over writes nothing; the final state is the new worker’s', async () => {
    const { jobId, itemIds } = await seed({ items: 1, steps: 1 });
    const [itemId] = itemIds;
    const now = clock.nowMs();
    const a = await ledger.claim('worker-A', now, now + LEASE_MS);
    expect(a).toEqual({ itemId, jobId, fence: 1, leaseUntil: now + LEASE_MS });

    // A stalls; its lease is moved into the past (time travel) and B claims the item: attempt 2, fence 2.
    await setLease(itemId, now - 1);
    const b = await ledger.claim('worker-B', now, now + LEASE_MS);
    expect(b).toEqual({ itemId, jobId, fence: 2, leaseUntil: now + LEASE_MS });

    // While B holds the item, every write of A affects 0 rows.
    const failure = { code: 'VENDOR_UNAVAILABLE', message: 'from A' };
    expect(await ledger.heartbeat(a as ItemClaim, now, now + LEASE_MS)).toBe(false);
    expect(await ledger.recordStepSuccess(a as ItemClaim, 0, created(7), now)).toBe(false);
    expect(await ledger.finishItem(a as ItemClaim, { state: 'failed', error: failure }, now)).toBe(false);

    expect(await ledger.recordStepSuccess(b as ItemClaim, 0, created(3), now)).toBe(true);
    expect(await ledger.finishItem(b as ItemClaim, { state: 'succeeded' }, now)).toBe(true);

    // And after B completed, too.
    expect(await ledger.recordStepFailure(a as ItemClaim, 0, failure, now)).toBe(false);
    expect(await ledger.releaseItem(a as ItemClaim, now, failure, now)).toBe(false);
    expect(await ledger.finishItem(a as ItemClaim, { state: 'failed', error: failure }, now)).toBe(false);
    expect(await ledger.replaceSteps(a as ItemClaim, [], now)).toBe(false);

    expect(await item(itemId)).toMatchObject({
      state: 'succeeded',
      fence: 2,
      attempts: 2,
      vendorCalls: 3,
      lastErrorCode: null,
      leaseOwner: null,
    });
    expect(await steps(itemId)).toEqual([
      expect.objectContaining({
        state: 'succeeded',
        vendorCalls: 3,
        vendorRequestIds: '["req-3"]',
        attempts: 1,
      }),
    ]);
  });

  it('J2 with real runs: the stale run stops at its next write; vendor calls and state are the new run’s', async () => {
    const subscriberId = await registerSubscriber(1);
    const { jobId, itemIds } = await seed({ items: 1, steps: 2, subscriberIds: [subscriberId] });
    const [itemId] = itemIds;
    const held = gate();
    // Run A is stuck in its first step; run B works normally.
    const stuck = new ScriptedExecutor(async () => {
      await held.promise;
      return created(5);
    });
    const normal = new ScriptedExecutor(() => Promise.resolve(created(2)));
    const runner = (executor: ScriptedExecutor) =>
      new ItemRunner(
        ledger,
        new FakePlanner(t.app.get(StepPlanner)),
        executor,
        t.app.get(SubscribersService),
        t.app.get(JobTemplates),
        t.app.get(JobLifecycle),
        t.app.get(ProvisioningMetrics),
        clock,
        t.config,
        QUIET_LOGGER,
      );
    const now = clock.nowMs();
    const a = (await ledger.claim('worker-A', now, now + LEASE_MS)) as LeasedClaim;
    const runA = runner(stuck).run(new ItemLease(a, ledger, clock, LEASE_MS));
    await eventually(() => (stuck.calls.length > 0 ? true : undefined));

    await setLease(itemId, now - 1);
    const b = (await ledger.claim('worker-B', now, now + LEASE_MS)) as LeasedClaim;
    expect(b.fence).toBe(2);
    await runner(normal).run(new ItemLease(b, ledger, clock, LEASE_MS));
    held.open();
    await runA;

    expect(stuck.calls).toHaveLength(1);
    expect(normal.calls.map((call) => call.stepIndex)).toEqual([0, 1]);
    expect(await item(itemId)).toMatchObject({ state: 'succeeded', fence: 2, vendorCalls: 4 });
    expect((await steps(itemId)).map((step) => step.vendorCalls)).toEqual([2, 2]);
    const job = await ledger.findJob(jobId);
    expect(job).toMatchObject({ state: 'succeeded', itemsSucceeded: 1, vendorCalls: 4 });
  });

  it('a run whose lease ran low renews it before its next step, so no other worker can take it mid-step', async () => {
    const subscriberId = await registerSubscriber(6);
    const { itemIds } = await seed({ items: 1, steps: 2, subscriberIds: [subscriberId] });
    const [itemId] = itemIds;
    const now = clock.nowMs();
    const claimsByB: (ItemClaim | null)[] = [];
    // While each step runs, worker B tries to take the item over.
    const executor = new ScriptedExecutor(async () => {
      claimsByB.push(await ledger.claim('worker-B', clock.nowMs(), clock.nowMs() + LEASE_MS));
      return created(1);
    });
    const runner = new ItemRunner(
      ledger,
      new FakePlanner(t.app.get(StepPlanner)),
      executor,
      t.app.get(SubscribersService),
      t.app.get(JobTemplates),
      t.app.get(JobLifecycle),
      t.app.get(ProvisioningMetrics),
      clock,
      t.config,
      QUIET_LOGGER,
    );
    const a = (await ledger.claim('worker-A', now, now + LEASE_MS)) as LeasedClaim;
    // A's background heartbeat fell behind: its lease has already lapsed in the database.
    await setLease(itemId, now - 1);
    const lease = new ItemLease({ ...a, leaseUntil: now - 1 }, ledger, clock, LEASE_MS);
    await runner.run(lease);
    expect(executor.calls.map((call) => call.stepIndex)).toEqual([0, 1]);
    expect(claimsByB).toEqual([null, null]);
    expect(lease.leftMs()).toBeGreaterThan(0);
    expect(await item(itemId)).toMatchObject({ state: 'succeeded', fence: a.fence });
  });

  it('J3: the claim reclaims only expired leases, never live ones or items not yet due', async () => {
    const { itemIds } = await seed({ items: 4 });
    const [expired, live, notDue, finished] = itemIds;
    const now = clock.nowMs();
    const fiveMinutes = 5 * 60 * 1000;
    await dataSource.query(
      `UPDATE provisioning_items SET state = 'running', fence = 1, attempts = 1, lease_owner = 'dead'
       WHERE id IN ($1, $2)`,
      [expired, live],
    );
    await setLease(expired, now - fiveMinutes);
    await setLease(live, now + fiveMinutes);
    await dataSource.query('UPDATE provisioning_items SET next_attempt_at = $1 WHERE id = $2', [
      now + fiveMinutes,
      notDue,
    ]);
    await dataSource.query(`UPDATE provisioning_items SET state = 'succeeded' WHERE id = $1`, [finished]);

    const claims = await drain(ledger, 'sweeper', now);
    expect(claims).toEqual([expect.objectContaining({ itemId: expired, fence: 2 })]);
    expect(await item(expired)).toMatchObject({ state: 'running', attempts: 2, leaseOwner: 'sweeper' });
    expect(await item(live)).toMatchObject({ state: 'running', fence: 1, leaseOwner: 'dead' });
    expect(await item(notDue)).toMatchObject({ state: 'pending', fence: 0 });

    // Five minutes later the item is due and the live lease has expired in turn.
    await ledger.finishItem(claims[0], { state: 'succeeded' }, now);
    const later = await drain(ledger, 'sweeper', now + fiveMinutes + 1);
    expect(later.map((claim) => claim.itemId).sort()).toEqual([live, notDue].sort());
  });

  it('a pool never claims an item it still runs, even when that item’s lease lapsed; others can', async () => {
    const { itemIds } = await seed({ items: 1 });
    const [itemId] = itemIds;
    const now = clock.nowMs();
    const mine = (await ledger.claim('pool-A', now, now + LEASE_MS)) as LeasedClaim;
    // The run is slow and its renewal came late: the lease lapsed, but pool A still runs the item.
    await setLease(itemId, now - 1);
    expect(await ledger.claim('pool-A', now, now + LEASE_MS, [itemId])).toBeNull();
    expect(await item(itemId)).toMatchObject({ fence: mine.fence, leaseOwner: 'pool-A' });
    // Another pool (whose runs do not include it) takes the lapsed lease over, as after a crash.
    expect(await ledger.claim('pool-B', now, now + LEASE_MS, [randomUUID()])).toMatchObject({
      itemId,
      fence: mine.fence + 1,
    });
  });

  it('renews the leases of many items in one write and says which claims are no longer held', async () => {
    await seed({ items: 3 });
    const now = clock.nowMs();
    const claims = (await drain(ledger, 'pool-A', now)) as LeasedClaim[];
    expect(claims).toHaveLength(3);
    // The third was taken over by another pool (its fence moved on).
    await setLease(claims[2].itemId, now - 1);
    await ledger.claim('pool-B', now, now + LEASE_MS);

    const held = await ledger.renewLeases(claims, now + 1000, now + 1000 + LEASE_MS);

    expect([...held].sort()).toEqual([claims[0].itemId, claims[1].itemId].sort());
    for (const claim of claims.slice(0, 2)) {
      expect(Number((await item(claim.itemId)).leaseExpiresAt?.getTime())).toBe(now + 1000 + LEASE_MS);
    }
    // The taken-over item keeps the new holder's lease.
    expect(await item(claims[2].itemId)).toMatchObject({ leaseOwner: 'pool-B' });
    expect(Number((await item(claims[2].itemId)).leaseExpiresAt?.getTime())).toBe(now + LEASE_MS);
  });

  it('claims each item once under 16 concurrent claimers (200 items)', async () => {
    const { itemIds } = await seed({ items: 200 });
    const now = clock.nowMs();
    const claims = (
      await Promise.all(Array.from({ length: 16 }, (_, index) => drain(ledger, `claimer-${index}`, now)))
    ).flat();
    expect(claims).toHaveLength(200);
    expect(new Set(claims.map((claim) => claim.itemId))).toEqual(new Set(itemIds));
    expect(claims.every((claim) => claim.fence === 1)).toBe(true);
  });

  it('takes turns between jobs (round-robin), not oldest job first', async () => {
    const older = await seed({ items: 4, createdAt: clock.nowMs() - 1000 });
    const newer = await seed({ items: 4 });
    const start = clock.nowMs();
    const order: string[] = [];
    for (let index = 0; index < 8; index += 1) {
      const claim = await ledger.claim('w', start + index, start + index + LEASE_MS);
      order.push(claim?.jobId === older.jobId ? 'older' : 'newer');
    }
    expect(order).toEqual(['older', 'newer', 'older', 'newer', 'older', 'newer', 'older', 'newer']);
    expect(newer.itemIds).toHaveLength(4);
  });

  it('works on one company at a time across jobs, and respects a job’s in-flight cap', async () => {
    const shared = randomUUID();
    const first = await seed({ items: 1, subscriberIds: [shared] });
    const second = await seed({ items: 2, subscriberIds: [shared, randomUUID()] });
    const capped = await seed({ items: 5, maxInFlight: 2 });
    const now = clock.nowMs();
    const claims = await drain(ledger, 'w', now);
    const byJob = (jobId: string) =>
      claims.filter((claim) => claim.jobId === jobId).map((claim) => claim.itemId);
    expect(byJob(first.jobId)).toEqual(first.itemIds);
    // The shared company's item of the second job waits while the first job's item runs.
    expect(byJob(second.jobId)).toEqual([second.itemIds[1]]);
    expect(byJob(capped.jobId)).toHaveLength(2);

    const [sharedClaim] = claims.filter((claim) => claim.jobId === first.jobId);
    await ledger.finishItem(sharedClaim, { state: 'succeeded' }, now);
    const next = await ledger.claim('w', now, now + LEASE_MS);
    expect(next?.itemId).toBe(second.itemIds[0]);
  });

  it('a heartbeat extends the lease of the claim holder only', async () => {
    const { itemIds } = await seed({ items: 1 });
    const now = clock.nowMs();
    const claim = (await ledger.claim('w', now, now + 1000)) as ItemClaim;
    expect(await ledger.heartbeat(claim, now, now + 5000)).toBe(true);
    expect((await item(itemIds[0])).leaseExpiresAt?.getTime()).toBe(now + 5000);
    expect(await ledger.heartbeat({ ...claim, fence: claim.fence - 1 }, now, now + 9000)).toBe(false);
    expect((await item(itemIds[0])).leaseExpiresAt?.getTime()).toBe(now + 5000);
  });

  describe('with a worker pool', () => {
    let workers: ProvisioningWorkers | undefined;

    afterEach(async () => {
      await workers?.beforeApplicationShutdown();
      workers = undefined;
    });

    it('J7: a step that always fails transiently is attempted exactly MAX_ATTEMPTS times, within the backoff envelope', async () => {
      const subscriberId = await registerSubscriber(2);
      const { jobId, itemIds } = await seed({ items: 1, steps: 2, subscriberIds: [subscriberId] });
      const failing = new ScriptedExecutor(() => Promise.reject(TRANSIENT));
      workers = startScriptedWorkers(
        t,
        { executor: failing },
        {
          PROVISIONING_MAX_ATTEMPTS: '4',
          PROVISIONING_RETRY_BASE_MS: '20',
          PROVISIONING_RETRY_MAX_MS: '50',
        },
      );
      await eventually(async () => ((await item(itemIds[0])).state === 'failed' ? true : undefined));
      expect(await item(itemIds[0])).toMatchObject({
        state: 'failed',
        attempts: 4,
        lastErrorCode: 'VENDOR_UNAVAILABLE',
        lastErrorMessage: 'iPaaS.com: HTTP 503 Service Unavailable',
      });
      expect(failing.calls.map((call) => call.stepIndex)).toEqual([0, 0, 0, 0]);
      const [first, second] = await steps(itemIds[0]);
      expect(first).toMatchObject({ state: 'failed', attempts: 4, lastErrorCode: 'VENDOR_UNAVAILABLE' });
      expect(second).toMatchObject({ state: 'pending', attempts: 0 });

      const retries = await dataSource.getRepository(ProvisioningEventEntity).find({
        where: { jobId, type: 'item.retrying' },
        order: { seq: 'ASC' },
      });
      expect(retries).toHaveLength(3);
      retries.forEach((event, index) => {
        const payload = JSON.parse(event.payload) as { attempt: number; nextAttemptAt: string };
        const delay = new Date(payload.nextAttemptAt).getTime() - event.at.getTime();
        // Full jitter: uniform in [0, min(max, base * 2^(attempt - 1))].
        expect(payload.attempt).toBe(index + 1);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(50, 20 * 2 ** index) + 5);
      });
      // The worker ends the job just after it fails the item.
      const ended = await eventually(async () => {
        const job = await ledger.findJob(jobId);
        return job?.state === 'running' ? undefined : job;
      });
      expect(ended).toMatchObject({ state: 'completed_with_errors', itemsFailed: 1 });
      // Nothing more is attempted afterwards.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(failing.calls).toHaveLength(4);
    });

    it('resumes a reclaimed item at its first step not yet succeeded', async () => {
      const subscriberId = await registerSubscriber(3);
      const { itemIds } = await seed({ items: 1, steps: 3, subscriberIds: [subscriberId] });
      const [itemId] = itemIds;
      const now = clock.nowMs();
      // A worker did step 0 and died (its lease lapses).
      const dead = (await ledger.claim('dead', now, now + LEASE_MS)) as ItemClaim;
      expect(await ledger.recordStepSuccess(dead, 0, created(2), now)).toBe(true);
      await setLease(itemId, now - 1);

      const executor = new ScriptedExecutor(() => Promise.resolve(created(2)));
      workers = startScriptedWorkers(t, { executor });
      await eventually(async () => ((await item(itemId)).state === 'succeeded' ? true : undefined));
      expect(executor.calls.map((call) => call.stepIndex)).toEqual([1, 2]);
      expect(await item(itemId)).toMatchObject({ fence: 2, attempts: 2, vendorCalls: 6 });
    });

    it('lapsed leases (dead workers) do not spend the retry budget: only failures count', async () => {
      const subscriberId = await registerSubscriber(5);
      const { itemIds } = await seed({ items: 1, steps: 1, subscriberIds: [subscriberId] });
      const [itemId] = itemIds;
      // Three workers in a row die holding the item (more claims than PROVISIONING_MAX_ATTEMPTS below).
      for (const worker of ['dead-1', 'dead-2', 'dead-3']) {
        const now = clock.nowMs();
        expect(await ledger.claim(worker, now, now + LEASE_MS)).not.toBeNull();
        await setLease(itemId, now - 1);
      }
      // Then one transient failure, then success: the item must still succeed with a budget of 2.
      const executor = new ScriptedExecutor((_subscriber, _step, call) =>
        call === 1 ? Promise.reject(TRANSIENT) : Promise.resolve(created(1)),
      );
      workers = startScriptedWorkers(
        t,
        { executor },
        { PROVISIONING_MAX_ATTEMPTS: '2', PROVISIONING_RETRY_BASE_MS: '10', PROVISIONING_RETRY_MAX_MS: '20' },
      );
      await eventually(async () =>
        ['succeeded', 'failed'].includes((await item(itemId)).state) ? true : undefined,
      );
      expect(await item(itemId)).toMatchObject({ state: 'succeeded', attempts: 5, failures: 1 });
    });

    it('on shutdown, lets the step in flight finish and hands the item back', async () => {
      const subscriberId = await registerSubscriber(4);
      const { itemIds } = await seed({ items: 1, steps: 2, subscriberIds: [subscriberId] });
      const [itemId] = itemIds;
      const held = gate();
      const executor = new ScriptedExecutor(async () => {
        await held.promise;
        return created(1);
      });
      const pool = startScriptedWorkers(t, { executor });
      await eventually(() => (executor.calls.length > 0 ? true : undefined));
      const stopped = pool.beforeApplicationShutdown();
      held.open();
      await stopped;
      expect(executor.calls).toHaveLength(1);
      expect(await item(itemId)).toMatchObject({ state: 'pending', leaseOwner: null, leaseExpiresAt: null });
      expect((await steps(itemId)).map((step) => step.state)).toEqual(['succeeded', 'pending']);
    });
  });
});

// Several instances claiming from one PostgreSQL: runs when a throwaway server is given (README).
describeOnPostgres('provisioning ledger')('provisioning ledger on PostgreSQL (two instances)', () => {
  let postgres: PostgresInstances;
  let instances: DataSource[];
  let ledgers: LedgerRepository[];
  let config: AppConfig;

  beforeAll(async () => {
    postgres = await startPostgresInstances('tenantry_ledger_instances');
    ({ config, instances } = postgres);
    ledgers = instances.map((instance) => new LedgerRepository(instance, new Transactions(instance, config)));
  });

  afterAll(() => postgres?.close());

  it('claims each of 1,000 items exactly once across 2 instances × 8 claimers (SKIP LOCKED)', async () => {
    const { itemIds } = await seedJob(instances[0], ledgers[0], { items: 1000 });
    const now = Date.now();
    const claims = (
      await Promise.all(Array.from({ length: 16 }, (_, index) => drain(ledgers[index % 2], `c${index}`, now)))
    ).flat();
    expect(claims).toHaveLength(1000);
    expect(new Set(claims.map((claim) => claim.itemId))).toEqual(new Set(itemIds));
  });

  it('J2 and J3 hold on PostgreSQL too: expired leases only, fenced writes', async () => {
    const { jobId, itemIds } = await seedJob(instances[0], ledgers[0], { items: 1, steps: 1 });
    const [itemId] = itemIds;
    const now = Date.now();
    const a = (await ledgers[0].claim('A', now, now + LEASE_MS)) as ItemClaim;
    expect(a).toEqual({ itemId, jobId, fence: 1, leaseUntil: now + LEASE_MS });
    expect(await ledgers[1].claim('B', now, now + LEASE_MS)).toBeNull();
    await instances[1].query('UPDATE provisioning_items SET lease_expires_at = $1 WHERE id = $2', [
      now - 1,
      itemId,
    ]);
    const b = (await ledgers[1].claim('B', now, now + LEASE_MS)) as ItemClaim;
    expect(b.fence).toBe(2);
    expect(await ledgers[1].finishItem(b, { state: 'succeeded' }, now)).toBe(true);
    expect(await ledgers[0].finishItem(a, { state: 'failed', error: { code: 'X', message: 'A' } }, now)).toBe(
      false,
    );
    expect(await ledgers[0].finishJobIfDone(jobId, now)).toMatchObject({ state: 'succeeded' });
    expect(await ledgers[1].finishJobIfDone(jobId, now)).toBeNull();
  });
});
