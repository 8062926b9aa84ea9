import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryRunner } from 'typeorm';

import { Transactions } from '../../database/transactions';
import type { PlannedStep, StepOutcome } from '../steps/step.types';
import {
  emptyCounts,
  finalJobState,
  type FinalItemState,
  type ItemClaim,
  type ItemCounts,
  type ItemState,
  type JobState,
  type LeasedClaim,
  OPEN_ITEM_STATES_SQL,
  type RecordedError,
  TERMINAL_JOB_STATES,
  type WaitReason,
} from './ledger.types';
import { toStepRow } from './ledger-rows';
import { ProvisioningEventEntity } from './provisioning-event.entity';
import { ProvisioningItemEntity } from './provisioning-item.entity';
import { ProvisioningJobEntity } from './provisioning-job.entity';
import { ProvisioningStepEntity } from './provisioning-step.entity';

/** Bound parameters per INSERT: SQLite allows 32,766 per statement, PostgreSQL 65,535. */
const INSERT_PARAMETER_BUDGET = 16_000;
const MAX_ERROR_MESSAGE = 1000;

export interface NewEvent {
  jobId: string;
  itemId: string | null;
  type: string;
  payload: Record<string, unknown>;
}

/** What the ledger counts of a job's items: per state, vendor calls made and items that drifted. */
export interface ItemTotals {
  counts: ItemCounts;
  vendorCalls: number;
  drifted: number;
}

/** The planned steps of a job, by planned action; `remainingCalls` are those of steps not yet done. */
export interface PlanTotals {
  create: number;
  update: number;
  noop: number;
  /** Steps outlined without reading the vendor (no planned action). */
  unplanned: number;
  estimatedCalls: number;
  remainingCalls: number;
}

/** How a job's run ended (returned to the one caller that ended it). */
export interface JobEnd {
  state: JobState;
  totals: ItemTotals;
  run: number;
}

/** How an item ends: its final state and, unless it succeeded, why. */
export interface ItemEnd {
  state: FinalItemState;
  error?: RecordedError;
  skipReason?: string;
}

interface CountRow {
  job_id?: string;
  state: ItemState;
  n: number | string;
  calls: number | string | null;
  drifted: number | string | null;
}

function truncate(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message;
}

export function emptyTotals(): ItemTotals {
  return { counts: emptyCounts(), vendorCalls: 0, drifted: 0 };
}

function totalsOf(rows: CountRow[]): ItemTotals {
  const totals = emptyTotals();
  for (const row of rows) {
    const n = Number(row.n);
    totals.counts[row.state] += n;
    totals.counts.total += n;
    totals.vendorCalls += Number(row.calls ?? 0);
    totals.drifted += Number(row.drifted ?? 0);
  }
  return totals;
}

/** The item's totals, from its step rows (set when the item ends or is released). */
const ITEM_FROM_STEPS = {
  vendorCalls: () =>
    '(SELECT COALESCE(SUM(s.vendor_calls), 0) FROM provisioning_steps s WHERE s.item_id = provisioning_items.id)',
  drift: () =>
    '(EXISTS (SELECT 1 FROM provisioning_steps s WHERE s.item_id = provisioning_items.id AND s.drift))',
  currentStep: () =>
    "(SELECT MAX(s.step_index) FROM provisioning_steps s WHERE s.item_id = provisioning_items.id AND s.state <> 'pending')",
};

/**
 * The provisioning tables. Claims hand out items with a lease and a fencing token; every write a worker
 * makes afterwards names the fence it claimed with (`WHERE fence = :fence AND state = 'running'`), so a worker
 * whose lease lapsed and was taken over writes nothing (0 rows) and stops. Times are epoch ms from the
 * caller's Clock: this class never reads the time itself.
 */
@Injectable()
export class LedgerRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
  ) {}

  // ---- Claims ------------------------------------------------------------------------------------------

  /**
   * Claims one item for `owner` until `leaseUntil`: first an item whose lease expired (its worker died; work
   * resumes at its first step not yet succeeded), else a pending item that is due. Pending items are taken
   * from the active job claimed least recently (round-robin across jobs), in row order within the job; an
   * item waits while another item of the same company runs (one job at a time per company, so two ensures
   * never race on one company) and while its job has `maxInFlight` items running.
   *
   * `exclude` lists the items the caller is still running: a pool never claims an item it works on, even
   * when that item's lease lapsed (a slow run whose renewal came late). Claiming it again would start a second
   * run beside the first one; both would read "missing" and both create at the vendor. The lapsed run finds
   * its lease gone before its next vendor write (ItemLease) and stops; only then may the item be claimed.
   */
  async claim(
    owner: string,
    now: number,
    leaseUntil: number,
    exclude: readonly string[] = [],
  ): Promise<LeasedClaim | null> {
    const parameters = { owner, now, leaseUntil, exclude };
    const expired = expiredCandidateSql(exclude.length > 0);
    const claim = this.transactions.isSqlite
      ? await this.claimOnSqlite(`COALESCE((${expired}), (${PENDING_CANDIDATE_SQL}))`, parameters)
      : ((await this.claimOnPostgres(expired, parameters)) ??
        (await this.claimOnPostgres(PENDING_CANDIDATE_SQL, parameters)));
    if (claim !== null) {
      // Fairness bookkeeping only (not part of the claim's atomicity): the job goes to the back of the queue.
      await this.dataSource
        .createQueryBuilder()
        .update(ProvisioningJobEntity)
        .set({
          claimedAt: new Date(now),
          state: () => `CASE WHEN state = 'pending' THEN 'running' ELSE state END`,
          startedAt: () => `COALESCE(started_at, ${Number(now)})`,
          updatedAt: new Date(now),
        })
        .where('id = :id', { id: claim.jobId })
        .execute();
    }
    return claim;
  }

  /**
   * SQLite has one writer: a single UPDATE picks the candidate (an expired lease first, else a due pending
   * item) and takes it atomically.
   */
  private async claimOnSqlite(candidate: string, parameters: ClaimParameters): Promise<LeasedClaim | null> {
    return this.firstClaim(
      await this.queryRows(this.dataSource.manager, returningSql(claimSql(candidate)), parameters),
      parameters.leaseUntil,
    );
  }

  /** PostgreSQL: lock the candidate, skipping rows other claimers hold, then take it in the same transaction. */
  private async claimOnPostgres(
    candidateSql: string,
    parameters: ClaimParameters,
  ): Promise<LeasedClaim | null> {
    return this.transactions.run(async (manager) => {
      const [candidate] = await this.queryRows<{ id: string }>(
        manager,
        `${candidateSql} FOR UPDATE OF i SKIP LOCKED`,
        parameters,
      );
      if (candidate === undefined) {
        return null;
      }
      return this.firstClaim(
        await this.queryRows(manager, claimSql(':id'), { ...parameters, id: candidate.id }),
        parameters.leaseUntil,
      );
    });
  }

  private firstClaim(
    rows: { id: string; job_id: string; fence: number | string }[],
    leaseUntil: number,
  ): LeasedClaim | null {
    const [row] = rows;
    return row === undefined
      ? null
      : { itemId: row.id, jobId: row.job_id, fence: Number(row.fence), leaseUntil };
  }

  // ---- Fenced writes of the worker holding a claim -----------------------------------------------------

  /** Extends the lease; false when the claim was lost (the worker must stop). */
  async heartbeat(claim: ItemClaim, now: number, leaseUntil: number): Promise<boolean> {
    return this.updateClaimed(claim, { leaseExpiresAt: new Date(leaseUntil), updatedAt: new Date(now) });
  }

  /**
   * Extends the leases of several claims in one statement (a pool's periodic renewal: one write, not one per
   * item in flight). Returns the ids of the items still held; a claim missing from the answer was lost.
   */
  async renewLeases(claims: readonly ItemClaim[], now: number, leaseUntil: number): Promise<Set<string>> {
    if (claims.length === 0) {
      return new Set();
    }
    const parameters: Record<string, unknown> = { now, leaseUntil };
    const held = claims.map((claim, index) => {
      parameters[`item${index}`] = claim.itemId;
      parameters[`fence${index}`] = claim.fence;
      return `(id = :item${index} AND fence = :fence${index})`;
    });
    const rows = await this.queryRows<{ id: string }>(
      this.dataSource.manager,
      returningSql(`UPDATE provisioning_items SET lease_expires_at = :leaseUntil, updated_at = :now
        WHERE state = 'running' AND (${held.join(' OR ')}) RETURNING id`),
      parameters,
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * A step is done: one fenced write of the step row. The item's calls, drift and current step are derived
   * from its steps when the item ends or is released (ITEM_FROM_STEPS), which keeps a step at one commit.
   */
  recordStepSuccess(
    claim: ItemClaim,
    stepIndex: number,
    outcome: StepOutcome,
    now: number,
  ): Promise<boolean> {
    return this.updateStep(claim, stepIndex, {
      state: 'succeeded',
      resultAction: outcome.action,
      attempts: () => 'attempts + 1',
      lastErrorCode: null,
      lastErrorMessage: null,
      vendorRequestIds: JSON.stringify(outcome.vendorRequestIds),
      vendorCalls: () => `vendor_calls + ${Math.max(0, Math.trunc(outcome.vendorCalls))}`,
      drift: outcome.drift,
      updatedAt: new Date(now),
    });
  }

  recordStepFailure(
    claim: ItemClaim,
    stepIndex: number,
    error: RecordedError,
    now: number,
  ): Promise<boolean> {
    return this.updateStep(claim, stepIndex, {
      state: 'failed',
      attempts: () => 'attempts + 1',
      lastErrorCode: error.code,
      lastErrorMessage: truncate(error.message),
      updatedAt: new Date(now),
    });
  }

  /**
   * Replaces the item's steps with the plan read from the vendor (plan mode), atomically and fenced: each step
   * `planned`, with the vendor reads its planning made (so a plan job counts what it cost).
   */
  async replaceSteps(claim: ItemClaim, steps: readonly PlannedStep[], now: number): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      if (!(await this.updateClaimed(claim, { updatedAt: new Date(now) }, manager))) {
        return false;
      }
      await manager.delete(ProvisioningStepEntity, { itemId: claim.itemId });
      await this.insertChunked(
        manager,
        ProvisioningStepEntity,
        steps.map((step) => ({
          ...toStepRow(claim.itemId, step, new Date(now)),
          state: 'planned' as const,
          vendorCalls: step.readCalls ?? 0,
        })),
      );
      return true;
    });
  }

  /** Ends the item (succeeded, failed, skipped or cancelled) and gives up its lease. */
  async finishItem(claim: ItemClaim, end: ItemEnd, now: number): Promise<boolean> {
    return this.updateClaimed(claim, {
      ...ITEM_FROM_STEPS,
      state: end.state,
      lastErrorCode: end.error?.code ?? null,
      lastErrorMessage: end.error === undefined ? null : truncate(end.error.message),
      skipReason: end.skipReason ?? null,
      waitReason: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: new Date(now),
      updatedAt: new Date(now),
    });
  }

  /** Puts the item back to pending until `nextAttemptAt` (a transient failure, or a graceful stop). */
  async releaseItem(
    claim: ItemClaim,
    nextAttemptAt: number,
    error: RecordedError | null,
    now: number,
  ): Promise<boolean> {
    return this.updateClaimed(claim, {
      ...ITEM_FROM_STEPS,
      state: 'pending',
      nextAttemptAt: new Date(nextAttemptAt),
      ...(error === null
        ? {}
        : {
            lastErrorCode: error.code,
            lastErrorMessage: truncate(error.message),
            failures: () => 'failures + 1',
          }),
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: new Date(now),
    });
  }

  /**
   * The item waits (its relationship is not active yet): looked at again at `nextCheckAt`, given up at
   * `waitUntil` (kept from the first wait: looking again does not move the deadline). Not a failure.
   */
  async waitItem(
    claim: ItemClaim,
    wait: { reason: WaitReason; nextCheckAt: number; waitUntil: number },
    now: number,
  ): Promise<boolean> {
    return this.updateClaimed(claim, {
      ...ITEM_FROM_STEPS,
      state: 'waiting',
      waitReason: wait.reason,
      waitUntil: () => `COALESCE(wait_until, ${Number(wait.waitUntil)})`,
      nextAttemptAt: new Date(wait.nextCheckAt),
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: new Date(now),
    });
  }

  private async updateClaimed(
    claim: ItemClaim,
    values: Record<string, unknown>,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(ProvisioningItemEntity)
      .set(values)
      .where("id = :itemId AND fence = :fence AND state = 'running'", claim)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  private async updateStep(
    claim: ItemClaim,
    stepIndex: number,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(ProvisioningStepEntity)
      .set(values)
      .where('item_id = :itemId AND step_index = :stepIndex', { itemId: claim.itemId, stepIndex })
      .andWhere(
        "EXISTS (SELECT 1 FROM provisioning_items i WHERE i.id = :itemId AND i.fence = :fence AND i.state = 'running')",
        claim,
      )
      .execute();
    return (result.affected ?? 0) > 0;
  }

  // ---- Job transitions ---------------------------------------------------------------------------------

  /**
   * Ends the job when none of its items is pending or running. One conditional UPDATE decides, so of several
   * workers finishing the last items at once exactly one ends the job; on PostgreSQL the job row is locked
   * first, so a concurrent retry or cancel (which lock it too) is either wholly seen or wholly after. Returns
   * the end state when this call ended the job, else null. The counters are written from the items then.
   */
  async finishJobIfDone(jobId: string, now: number): Promise<JobEnd | null> {
    // Cheap first (an index seek, no transaction): most calls come while other items are still open.
    if (await this.hasOpenItems(this.dataSource.manager, jobId)) {
      return null;
    }
    if (this.transactions.isSqlite) {
      return this.finishJobWith(this.dataSource.manager, jobId, now);
    }
    return this.transactions.run((manager) => this.finishJobWith(manager, jobId, now));
  }

  private async finishJobWith(manager: EntityManager, jobId: string, now: number): Promise<JobEnd | null> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const job = await this.lockJob(manager, jobId);
      if (job === null || !['pending', 'running', 'cancelling'].includes(job.state)) {
        return null;
      }
      const totals = await this.countItems(jobId, manager);
      const state = finalJobState(job.state, totals.counts);
      if (state === null) {
        return null;
      }
      const result = await manager
        .createQueryBuilder()
        .update(ProvisioningJobEntity)
        .set({ state, ...this.counterColumns(totals), finishedAt: new Date(now), updatedAt: new Date(now) })
        .where('id = :jobId AND state = :current', { jobId, current: job.state })
        .andWhere(
          `NOT EXISTS (SELECT 1 FROM provisioning_items i WHERE i.job_id = :jobId AND i.state IN ${OPEN_ITEM_STATES_SQL})`,
        )
        .execute();
      if ((result.affected ?? 0) > 0) {
        return { state, totals, run: job.run };
      }
      // The job moved meanwhile (cancelled, retried): look again.
    }
    return null;
  }

  private async hasOpenItems(manager: EntityManager, jobId: string): Promise<boolean> {
    const open = await manager
      .getRepository(ProvisioningItemEntity)
      .createQueryBuilder('i')
      .select('i.id')
      .where(`i.job_id = :jobId AND i.state IN ${OPEN_ITEM_STATES_SQL}`, { jobId })
      .limit(1)
      .getRawOne<unknown>();
    return open !== undefined;
  }

  /** The job row, locked for the transaction on PostgreSQL (SQLite has one writer and no row locks). */
  private lockJob(manager: EntityManager, jobId: string): Promise<ProvisioningJobEntity | null> {
    return manager.findOne(ProvisioningJobEntity, {
      where: { id: jobId },
      ...(this.transactions.isSqlite ? {} : { lock: { mode: 'pessimistic_write' as const } }),
    });
  }

  /**
   * Stops claiming for the job and cancels its pending items; running items finish. Returns the state the
   * job was in (`running` stands for pending or running), or null when it does not exist.
   *
   * Transactions here start with their decisive write: on SQLite a transaction that reads first fails with
   * SQLITE_BUSY whenever a worker commits in between (busy workers would starve it), while one that writes
   * first simply waits for the write lock. On PostgreSQL that first UPDATE also locks the job row.
   */
  async cancel(jobId: string, now: number): Promise<{ previous: JobState; cancelledItems: number } | null> {
    const cancelled = await this.transactions.run(async (manager) => {
      const moved = await manager
        .createQueryBuilder()
        .update(ProvisioningJobEntity)
        .set({ state: 'cancelling', updatedAt: new Date(now) })
        .where("id = :jobId AND state IN ('pending', 'running')", { jobId })
        .execute();
      if ((moved.affected ?? 0) === 0) {
        return null;
      }
      const items = await manager
        .createQueryBuilder()
        .update(ProvisioningItemEntity)
        .set({ state: 'cancelled', waitReason: null, finishedAt: new Date(now), updatedAt: new Date(now) })
        .where("job_id = :jobId AND state IN ('pending', 'waiting')", { jobId })
        .execute();
      return items.affected ?? 0;
    });
    if (cancelled !== null) {
      return { previous: 'running', cancelledItems: cancelled };
    }
    const job = await this.findJob(jobId);
    return job === null ? null : { previous: job.state, cancelledItems: 0 };
  }

  /**
   * Reopens a job: its items in one of `items` (and their failed steps) go back to pending with a fresh attempt
   * budget and the job back to running, atomically (the transaction starts with its decisive write, as in
   * `cancel`). A job that had ended starts a new run (`run` + 1): its next `job.finished` is that run's. Retry
   * reopens the failed items of a job in `running`, `completed_with_errors` or `failed`; resume the cancelled
   * and failed items of a cancelled job. Returns how many items; 0 when the job is not in one of `from` or has no
   * such item (nothing changed).
   */
  async reopen(
    jobId: string,
    scope: { from: readonly JobState[]; items: readonly FinalItemState[] },
    now: number,
  ): Promise<number> {
    const { from, items: states } = scope;
    return this.transactions.run(async (manager) => {
      const reopened = await manager
        .createQueryBuilder()
        .update(ProvisioningJobEntity)
        .set({
          state: 'running',
          run: () =>
            `run + CASE WHEN state IN (${TERMINAL_JOB_STATES.map((state) => `'${state}'`).join(', ')}) THEN 1 ELSE 0 END`,
          finishedAt: null,
          updatedAt: new Date(now),
        })
        .where('id = :jobId AND state IN (:...from)', { jobId, from })
        .andWhere(
          'EXISTS (SELECT 1 FROM provisioning_items i WHERE i.job_id = :jobId AND i.state IN (:...states))',
          { states },
        )
        .execute();
      if ((reopened.affected ?? 0) === 0) {
        return 0;
      }
      await manager
        .createQueryBuilder()
        .update(ProvisioningStepEntity)
        .set({ state: 'pending', updatedAt: new Date(now) })
        .where("state = 'failed'")
        .andWhere(
          'item_id IN (SELECT i.id FROM provisioning_items i WHERE i.job_id = :jobId AND i.state IN (:...states))',
          { jobId, states },
        )
        .execute();
      const items = await manager
        .createQueryBuilder()
        .update(ProvisioningItemEntity)
        .set({
          state: 'pending',
          attempts: 0,
          failures: 0,
          nextAttemptAt: new Date(now),
          waitUntil: null,
          lastErrorCode: null,
          lastErrorMessage: null,
          finishedAt: null,
          updatedAt: new Date(now),
        })
        .where('job_id = :jobId AND state IN (:...states)', { jobId, states })
        .execute();
      return items.affected ?? 0;
    });
  }

  // ---- Reads -------------------------------------------------------------------------------------------

  findJob(id: string): Promise<ProvisioningJobEntity | null> {
    return this.dataSource.getRepository(ProvisioningJobEntity).findOneBy({ id });
  }

  findItem(id: string): Promise<ProvisioningItemEntity | null> {
    return this.dataSource.getRepository(ProvisioningItemEntity).findOneBy({ id });
  }

  stepsOf(itemIds: readonly string[]): Promise<ProvisioningStepEntity[]> {
    if (itemIds.length === 0) {
      return Promise.resolve([]);
    }
    return this.dataSource
      .getRepository(ProvisioningStepEntity)
      .createQueryBuilder('s')
      .where('s.item_id IN (:...itemIds)', { itemIds })
      .orderBy('s.item_id')
      .addOrderBy('s.step_index')
      .getMany();
  }

  async pageJobs(offset: number, limit: number): Promise<[ProvisioningJobEntity[], number]> {
    return this.dataSource
      .getRepository(ProvisioningJobEntity)
      .createQueryBuilder('j')
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'ASC')
      .offset(offset)
      .limit(limit)
      .getManyAndCount();
  }

  async pageItems(
    jobId: string,
    state: ItemState | undefined,
    offset: number,
    limit: number,
  ): Promise<[ProvisioningItemEntity[], number]> {
    const query = this.dataSource
      .getRepository(ProvisioningItemEntity)
      .createQueryBuilder('i')
      .where('i.job_id = :jobId', { jobId });
    if (state !== undefined) {
      query.andWhere('i.state = :state', { state });
    }
    return query.orderBy('i.row_index', 'ASC').offset(offset).limit(limit).getManyAndCount();
  }

  /** Items of the job in row order, a page at a time (reports of any size in bounded memory). */
  async *itemPages(jobId: string, pageSize: number): AsyncGenerator<ProvisioningItemEntity[]> {
    for (let after = -1; ;) {
      const page = await this.dataSource
        .getRepository(ProvisioningItemEntity)
        .createQueryBuilder('i')
        .where('i.job_id = :jobId AND i.row_index > :after', { jobId, after })
        .orderBy('i.row_index', 'ASC')
        .limit(pageSize)
        .getMany();
      if (page.length === 0) {
        return;
      }
      yield page;
      after = page[page.length - 1].rowIndex;
    }
  }

  /** Items of the job by subscriber (apply with a plan copies the plan's items). */
  async itemsBySubscriber(jobId: string): Promise<Map<string, ProvisioningItemEntity>> {
    const items = await this.dataSource.getRepository(ProvisioningItemEntity).findBy({ jobId });
    return new Map(items.map((item) => [item.subscriberId, item]));
  }

  /** One GROUP BY over the job's items: the live counts (the item rows are the truth). */
  async countItems(jobId: string, manager?: EntityManager): Promise<ItemTotals> {
    return (await this.countItemsOfJobs([jobId], manager)).get(jobId) ?? emptyTotals();
  }

  async countItemsOfJobs(
    jobIds: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Map<string, ItemTotals>> {
    if (jobIds.length === 0) {
      return new Map();
    }
    const rows = await this.queryRows<CountRow & { job_id: string }>(
      manager,
      `SELECT job_id, state, COUNT(*) AS n, SUM(vendor_calls) AS calls,
              SUM(CASE WHEN drift THEN 1 ELSE 0 END) AS drifted
       FROM provisioning_items WHERE job_id IN (:...jobIds) GROUP BY job_id, state`,
      { jobIds },
    );
    const byJob = new Map<string, CountRow[]>();
    for (const row of rows) {
      byJob.set(row.job_id, [...(byJob.get(row.job_id) ?? []), row]);
    }
    return new Map(jobIds.map((id) => [id, totalsOf(byJob.get(id) ?? [])]));
  }

  async planTotals(jobId: string): Promise<PlanTotals> {
    const rows = await this.queryRows<{
      action: string | null;
      n: number | string;
      calls: number | string | null;
      remaining: number | string | null;
    }>(
      this.dataSource.manager,
      `SELECT s.planned_action AS action, COUNT(*) AS n, SUM(s.estimated_calls) AS calls,
              SUM(CASE WHEN s.state <> 'succeeded' AND i.state IN ${OPEN_ITEM_STATES_SQL}
                       THEN s.estimated_calls ELSE 0 END) AS remaining
       FROM provisioning_steps s JOIN provisioning_items i ON i.id = s.item_id
       WHERE i.job_id = :jobId GROUP BY s.planned_action`,
      { jobId },
    );
    const totals: PlanTotals = {
      create: 0,
      update: 0,
      noop: 0,
      unplanned: 0,
      estimatedCalls: 0,
      remainingCalls: 0,
    };
    for (const row of rows) {
      const action = row.action === 'create' || row.action === 'update' || row.action === 'noop';
      totals[action ? (row.action as 'create' | 'update' | 'noop') : 'unplanned'] += Number(row.n);
      totals.estimatedCalls += Number(row.calls ?? 0);
      totals.remainingCalls += Number(row.remaining ?? 0);
    }
    return totals;
  }

  /** Jobs per state, for the metrics gauge. */
  async countJobsByState(): Promise<Map<JobState, number>> {
    const rows = await this.queryRows<{ state: JobState; n: number | string }>(
      this.dataSource.manager,
      'SELECT state, COUNT(*) AS n FROM provisioning_jobs GROUP BY state',
      {},
    );
    return new Map(rows.map((row) => [row.state, Number(row.n)]));
  }

  /** Writes the job's counters from its items (at transitions: cancel, retry). */
  async snapshotCounters(jobId: string, now: number): Promise<ItemTotals> {
    const totals = await this.countItems(jobId);
    await this.dataSource
      .getRepository(ProvisioningJobEntity)
      .update({ id: jobId }, { ...this.counterColumns(totals), updatedAt: new Date(now) });
    return totals;
  }

  private counterColumns(totals: ItemTotals): Partial<ProvisioningJobEntity> {
    const { counts } = totals;
    return {
      itemsTotal: counts.total,
      itemsPending: counts.pending,
      itemsWaiting: counts.waiting,
      itemsRunning: counts.running,
      itemsSucceeded: counts.succeeded,
      itemsFailed: counts.failed,
      itemsSkipped: counts.skipped,
      itemsCancelled: counts.cancelled,
      vendorCalls: totals.vendorCalls,
    };
  }

  // ---- Events ------------------------------------------------------------------------------------------

  async appendEvents(events: readonly NewEvent[], now: number, manager?: EntityManager): Promise<void> {
    if (events.length === 0) {
      return;
    }
    await this.insertChunked(
      manager ?? this.dataSource.manager,
      ProvisioningEventEntity,
      events.map((event) => ({
        jobId: event.jobId,
        itemId: event.itemId,
        type: event.type,
        payload: JSON.stringify(event.payload),
        at: new Date(now),
      })),
    );
  }

  /** Events of the job after `afterSeq`, oldest first. */
  eventsAfter(jobId: string, afterSeq: number, limit: number): Promise<ProvisioningEventEntity[]> {
    return this.dataSource
      .getRepository(ProvisioningEventEntity)
      .createQueryBuilder('e')
      .where('e.job_id = :jobId AND e.seq > :afterSeq', { jobId, afterSeq })
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * The seq after which a job has at most `count` events (0 when it has no more than that): where a bounded
   * replay starts.
   */
  async replayFloor(jobId: string, count: number): Promise<number> {
    const row = await this.dataSource
      .getRepository(ProvisioningEventEntity)
      .createQueryBuilder('e')
      .select('e.seq', 'seq')
      .where('e.job_id = :jobId', { jobId })
      .orderBy('e.seq', 'DESC')
      .offset(count)
      .limit(1)
      .getRawOne<{ seq: number | string }>();
    return row === undefined ? 0 : Number(row.seq);
  }

  // ---- Bulk writes -------------------------------------------------------------------------------------

  /**
   * Multi-row INSERTs sized to the bound-parameter limit, built straight from the entity metadata (values go
   * through the driver's own conversion, transformers included). TypeORM's insert builder costs several times
   * more per row, which matters at 10,000 items and tens of thousands of steps per job. Nothing is read back.
   */
  async insertChunked<T extends ObjectLiteral>(
    manager: EntityManager,
    target: EntityTarget<T>,
    rows: readonly T[],
  ): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    const metadata = manager.connection.getMetadata(target);
    const driver = manager.connection.driver;
    const columns = metadata.columns.filter((column) => !column.isGenerated);
    const names = columns.map((column) => driver.escape(column.databaseName)).join(', ');
    const chunk = Math.max(1, Math.floor(INSERT_PARAMETER_BUDGET / columns.length));
    const positional = this.transactions.isSqlite;
    for (let start = 0; start < rows.length; start += chunk) {
      const values: unknown[] = [];
      const tuples = rows.slice(start, start + chunk).map((row) => {
        const marks = columns.map((column) => {
          values.push(driver.preparePersistentValue(column.getEntityValue(row), column));
          return positional ? '?' : `$${values.length}`;
        });
        return `(${marks.join(', ')})`;
      });
      await manager.query(
        `INSERT INTO ${driver.escape(metadata.tableName)} (${names}) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  }

  // ---- Raw SQL -----------------------------------------------------------------------------------------

  /** Runs SQL with `:name` parameters on either driver and returns the rows (RETURNING rows included). */
  private async queryRows<T>(
    manager: EntityManager,
    sql: string,
    parameters: Record<string, unknown>,
  ): Promise<T[]> {
    const [query, values] = this.dataSource.driver.escapeQueryWithParameters(sql, parameters, {});
    // A transaction's manager carries its query runner; otherwise borrow one and give it back.
    const runner: QueryRunner = manager.queryRunner ?? manager.connection.createQueryRunner();
    try {
      const result = await runner.query(query, values as unknown[], true);
      return (result as { records: T[] }).records;
    } finally {
      if (runner !== manager.queryRunner) {
        await runner.release();
      }
    }
  }
}

// A type, not an interface: it is passed where named SQL parameters (a string-keyed record) are expected.
type ClaimParameters = {
  owner: string;
  now: number;
  leaseUntil: number;
  exclude: readonly string[];
};

/**
 * TypeORM's sqlite runner sends statements starting with "UPDATE " through run(), which drops RETURNING rows;
 * a leading comment routes them through all(), which returns them (PostgreSQL ignores the comment).
 */
function returningSql(sql: string): string {
  return `/* returning */ ${sql}`;
}

/** Takes the item `candidate` (an id expression) unless it stopped being claimable meanwhile. */
function claimSql(candidate: string): string {
  // A waiting item's look at its relationship is not an attempt at its work: attempts stay as they were.
  return `UPDATE provisioning_items
    SET state = 'running', fence = fence + 1,
        attempts = attempts + CASE WHEN state = 'waiting' THEN 0 ELSE 1 END, lease_owner = :owner,
        lease_expires_at = :leaseUntil, wait_reason = NULL, started_at = COALESCE(started_at, :now),
        updated_at = :now
    WHERE id = ${candidate}
      AND ((state IN ('pending', 'waiting') AND next_attempt_at <= :now)
        OR (state = 'running' AND lease_expires_at < :now))
    RETURNING id, job_id, fence`;
}

/**
 * Items whose lease expired while their worker held them, oldest expiry first; also those of a job being
 * cancelled, so its cancellation can complete (the worker then cancels the item instead of running it). With
 * `excluding`, not the items in `:exclude` (those the claiming pool still runs).
 */
function expiredCandidateSql(excluding: boolean): string {
  return `SELECT i.id FROM provisioning_items i
  JOIN provisioning_jobs j ON j.id = i.job_id
  WHERE i.state = 'running' AND i.lease_expires_at < :now
    AND j.state IN ('pending', 'running', 'cancelling')${excluding ? '\n    AND i.id NOT IN (:...exclude)' : ''}
  ORDER BY i.lease_expires_at
  LIMIT 1`;
}

// Claimable: pending or waiting, due, no other item of the same company running, within the job's in-flight cap.
const CLAIMABLE = (
  alias: string,
) => `${alias}.state IN ('pending', 'waiting') AND ${alias}.next_attempt_at <= :now
    AND NOT EXISTS (SELECT 1 FROM provisioning_items o
      WHERE o.subscriber_id = ${alias}.subscriber_id AND o.state = 'running' AND o.lease_expires_at >= :now)`;

const PENDING_CANDIDATE_SQL = `SELECT i.id FROM provisioning_items i
  WHERE i.job_id = (
    SELECT j.id FROM provisioning_jobs j
    WHERE j.state IN ('pending', 'running')
      AND (j.max_in_flight IS NULL OR j.max_in_flight > (SELECT COUNT(*) FROM provisioning_items r
        WHERE r.job_id = j.id AND r.state = 'running' AND r.lease_expires_at >= :now))
      AND EXISTS (SELECT 1 FROM provisioning_items c WHERE c.job_id = j.id AND ${CLAIMABLE('c')})
    ORDER BY j.claimed_at, j.created_at, j.id
    LIMIT 1)
  AND ${CLAIMABLE('i')}
  ORDER BY i.next_attempt_at, i.row_index
  LIMIT 1`;
