import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { type Subscriber, SubscribersService } from '../../subscribers/subscribers.service';
import { JobTemplates } from '../jobs/job-templates';
import { StepReadCache } from '../steps/step-read-cache';
import { type PlannedStep, RELATIONSHIP_KINDS, StepExecutor, StepPlanner } from '../steps/step.types';
import { backoffMs, classifyFailure } from './item-failures';
import { JobLifecycle } from './job-lifecycle';
import { ItemLease, LeaseLost, LeaseTooShort } from './item-lease';
import { toPlannedStep } from './ledger-rows';
import { type ItemEnd, LedgerRepository } from './ledger.repository';
import type { ItemClaim } from './ledger.types';
import type { ProvisioningItemEntity } from './provisioning-item.entity';
import type { ProvisioningJobEntity } from './provisioning-job.entity';
import { ProvisioningMetrics } from './provisioning.metrics';

/** A waiting item is looked at again after its wait so far, within these bounds (a doubling delay). */
const WAIT_CHECK_MIN_MS = 15_000;
const WAIT_CHECK_MAX_MS = 15 * 60_000;

function parseVars(text: string | null): Record<string, string> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, string>);
}

/**
 * Works one claimed item: plan it (plan mode) or ensure its steps in order (apply), persisting each step's
 * result as soon as it is known, so a crash loses at most the step in flight (which ensure reads again).
 * Steps that already succeeded are skipped: a reclaimed item resumes at its first unfinished step.
 */
@Injectable()
export class ItemRunner {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly planner: StepPlanner,
    private readonly executor: StepExecutor,
    private readonly subscribers: SubscribersService,
    private readonly templates: JobTemplates,
    private readonly lifecycle: JobLifecycle,
    private readonly metrics: ProvisioningMetrics,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @InjectPinoLogger(ItemRunner.name) private readonly logger: PinoLogger,
  ) {}

  /**
   * Works the item `lease` holds until it ends, fails, is handed back (`stopping`: the instance shuts down) or
   * the lease is lost (then nothing more is written, at the vendor or in the ledger).
   */
  async run(lease: ItemLease, stopping: () => boolean = () => false): Promise<void> {
    const { claim } = lease;
    const [item, job] = await Promise.all([
      this.ledger.findItem(claim.itemId),
      this.ledger.findJob(claim.jobId),
    ]);
    if (item === null || job === null || item.fence !== claim.fence) {
      return;
    }
    try {
      if (job.state === 'cancelling' || job.state === 'cancelled') {
        // Reclaimed from a dead worker after the job was cancelled: nothing more is done for it.
        await this.end(claim, item, { state: 'cancelled' });
        return;
      }
      await this.event(claim, item, 'item.running', { attempt: item.attempts });
      await this.work(lease, stopping, item, job);
    } catch (error) {
      if (!(error instanceof LeaseLost)) {
        throw error;
      }
      this.logger.warn(
        { itemId: claim.itemId, fence: claim.fence, reason: error.message },
        'provisioning item run stopped: its lease is lost or too short',
      );
      if (error instanceof LeaseTooShort) {
        // Still ours, but too little is left to write safely: hand it back for an immediate new claim (fenced,
        // so this changes nothing if the lease was taken over meanwhile; not counted as a failure).
        const now = this.clock.nowMs();
        await this.ledger.releaseItem(claim, now, null, now);
      }
    }
  }

  private async work(
    lease: ItemLease,
    stopping: () => boolean,
    item: ProvisioningItemEntity,
    job: ProvisioningJobEntity,
  ): Promise<void> {
    const { claim } = lease;
    const { leaseMs } = this.config.provisioning;
    let stepIndex: number | null = null;
    try {
      const subscriber = await this.subscribers.get(item.subscriberId);
      this.refuseUnworkable(subscriber);
      if (job.mode === 'plan') {
        await this.plan(claim, item, job, subscriber);
      } else {
        const readCache = new StepReadCache();
        const steps = await this.ledger.stepsOf([item.id]);
        // Role shares are only requested by their step: the company opens to the MiSP once one is active.
        const sharesRequested = steps.some((step) => step.kind === 'role_share');
        let accessChecked = false;
        for (const stored of steps) {
          if (stored.state === 'succeeded') {
            continue;
          }
          if (stopping()) {
            // Shutting down: hand the item back at once rather than let its lease lapse.
            await this.check(this.ledger.releaseItem(claim, this.clock.nowMs(), null, this.clock.nowMs()));
            return;
          }
          if (!accessChecked && !RELATIONSHIP_KINDS.has(stored.kind)) {
            accessChecked = true;
            if (!(await this.executor.companyOpen(subscriber, { readCache, sharesRequested }))) {
              await this.waitForAccess(claim, item);
              return;
            }
          }
          stepIndex = stored.stepIndex;
          // Each step starts with most of a lease ahead (the pool's renewal can run late under load); every
          // vendor write inside it checks again right before it is sent (ItemLease).
          await lease.ensure((leaseMs * 2) / 3);
          await this.ensure(lease, item, subscriber, toPlannedStep(stored), readCache);
          stepIndex = null;
        }
      }
      await this.end(claim, item, { state: 'succeeded' });
    } catch (error) {
      if (error instanceof LeaseLost) {
        throw error;
      }
      await this.failed(claim, item, stepIndex, error);
    }
  }

  private async plan(
    claim: ItemClaim,
    item: ProvisioningItemEntity,
    job: ProvisioningJobEntity,
    subscriber: Subscriber,
  ): Promise<void> {
    const template = await this.templates.load(job.templateId);
    const result = JobTemplates.render(template, subscriber, parseVars(item.vars));
    if ('errors' in result) {
      throw AppError.validation(result.errors);
    }
    const started = this.clock.nowMs();
    const steps = await this.planner.planCompany(subscriber, result.rendered);
    this.metrics.stepFinished('plan', { outcome: 'succeeded' }, (this.clock.nowMs() - started) / 1000, 0);
    await this.check(this.ledger.replaceSteps(claim, steps, this.clock.nowMs()));
  }

  private async ensure(
    lease: ItemLease,
    item: ProvisioningItemEntity,
    subscriber: Subscriber,
    step: PlannedStep,
    readCache: StepReadCache,
  ): Promise<void> {
    const { claim } = lease;
    const started = this.clock.nowMs();
    // A vendor write is sent only while more than one request timeout of lease is left: it then ends, one way
    // or the other, before another worker could take the item over.
    const writeNeedsMs = this.config.ipaas.timeoutMs;
    try {
      const outcome = await this.executor.execute(subscriber, step, {
        expectedObserved: step.observed,
        readCache,
        beforeWrite: () => lease.ensure(writeNeedsMs),
      });
      this.metrics.stepFinished(
        step.kind,
        { outcome: 'succeeded', action: outcome.action },
        (this.clock.nowMs() - started) / 1000,
        outcome.vendorCalls,
      );
      await this.check(this.ledger.recordStepSuccess(claim, step.index, outcome, this.clock.nowMs()));
      if (outcome.action === 'adopted') {
        await this.event(claim, item, 'step.adopted', {
          stepIndex: step.index,
          kind: step.kind,
          key: step.key,
        });
      }
    } catch (error) {
      if (!(error instanceof LeaseLost)) {
        this.metrics.stepFinished(step.kind, { outcome: 'failed' }, (this.clock.nowMs() - started) / 1000, 0);
      }
      throw error;
    }
  }

  /**
   * The company's steps need the MiSP's access, which the subscriber has not granted yet: wait for it (looked at
   * again with a growing delay, 15 s to 15 min) instead of failing at the vendor, up to PROVISIONING_WAIT_MAX_HOURS
   * from the first wait; then the item fails with RELATIONSHIP_NOT_ACTIVE. Waiting spends no attempt.
   */
  private async waitForAccess(claim: ItemClaim, item: ProvisioningItemEntity): Promise<void> {
    const now = this.clock.nowMs();
    const { waitMaxMs } = this.config.provisioning;
    const waitUntil = item.waitUntil?.getTime() ?? now + waitMaxMs;
    if (now >= waitUntil) {
      throw new AppError(
        ErrorCode.RELATIONSHIP_NOT_ACTIVE,
        `Subscriber ${item.subscriberId} has not granted the MiSP access (no active role share) since ${new Date(waitUntil - waitMaxMs).toISOString()}`,
      );
    }
    const waited = now - (waitUntil - waitMaxMs);
    const nextCheckAt = Math.min(
      waitUntil,
      now + Math.min(WAIT_CHECK_MAX_MS, Math.max(WAIT_CHECK_MIN_MS, waited)),
    );
    await this.check(
      this.ledger.waitItem(claim, { reason: 'relationship_pending', nextCheckAt, waitUntil }, now),
    );
    await this.event(claim, item, 'item.waiting', {
      reason: 'relationship_pending',
      nextCheckAt: new Date(nextCheckAt).toISOString(),
      waitUntil: new Date(waitUntil).toISOString(),
    });
  }

  /**
   * Suspended or offboarded companies, those whose monthly allowance is used up, and those whose health
   * circuit is open (last confirmed check unhealthy, until a healthy check) are skipped.
   */
  private refuseUnworkable(subscriber: Subscriber): void {
    SubscribersService.refuseWhenHalted(subscriber);
    if (subscriber.healthStatus === 'unhealthy') {
      throw new AppError(
        ErrorCode.SUBSCRIBER_UNHEALTHY,
        `Subscriber ${subscriber.id} is unhealthy since ${subscriber.healthSince?.toISOString() ?? 'its last check'}`,
      );
    }
    const until = subscriber.quotaExhaustedUntil;
    if (until !== null && until.getTime() > this.clock.nowMs()) {
      throw new AppError(
        ErrorCode.VENDOR_QUOTA_EXHAUSTED,
        `The monthly iPaaS.com call allowance of subscriber ${subscriber.id} is used up until ${until.toISOString()}`,
      );
    }
  }

  private async failed(
    claim: ItemClaim,
    item: ProvisioningItemEntity,
    stepIndex: number | null,
    error: unknown,
  ): Promise<void> {
    const disposition = classifyFailure(error);
    if (disposition.kind === 'retry' && disposition.unexpected === true) {
      this.logger.error({ err: error, itemId: item.id }, 'provisioning step failed unexpectedly');
    }
    const now = this.clock.nowMs();
    if (stepIndex !== null) {
      await this.check(this.ledger.recordStepFailure(claim, stepIndex, disposition.error, now));
    }
    switch (disposition.kind) {
      case 'skip':
        await this.end(claim, item, {
          state: 'skipped',
          error: disposition.error,
          skipReason: disposition.reason,
        });
        return;
      case 'fail':
        await this.end(claim, item, { state: 'failed', error: disposition.error });
        return;
      case 'retry': {
        const { maxAttempts, retryBaseMs, retryMaxMs } = this.config.provisioning;
        // This failure included; lapsed leases (a dead worker) are not failures of the item.
        const failures = item.failures + 1;
        if (failures >= maxAttempts) {
          await this.end(claim, item, { state: 'failed', error: disposition.error });
          return;
        }
        const delay = Math.max(
          backoffMs(failures, { baseMs: retryBaseMs, maxMs: retryMaxMs }),
          disposition.notBeforeMs ?? 0,
        );
        await this.check(this.ledger.releaseItem(claim, now + delay, disposition.error, now));
        await this.event(
          claim,
          item,
          'item.retrying',
          {
            attempt: failures,
            nextAttemptAt: new Date(now + delay).toISOString(),
            error: disposition.error,
          },
          now,
        );
        return;
      }
    }
  }

  private async end(claim: ItemClaim, item: ProvisioningItemEntity, end: ItemEnd): Promise<void> {
    await this.check(this.ledger.finishItem(claim, end, this.clock.nowMs()));
    this.metrics.itemFinished(end.state);
    await this.event(claim, item, `item.${end.state}`, {
      ...(end.error === undefined ? {} : { error: end.error }),
      ...(end.skipReason === undefined ? {} : { skipReason: end.skipReason }),
    });
    await this.lifecycle.finishIfDone(claim.jobId);
  }

  private event(
    claim: ItemClaim,
    item: ProvisioningItemEntity,
    type: string,
    payload: Record<string, unknown>,
    /** When it happened (default: now); the retry event uses the instant its delay was computed from. */
    at = this.clock.nowMs(),
  ): Promise<void> {
    return this.ledger.appendEvents(
      [
        {
          jobId: claim.jobId,
          itemId: claim.itemId,
          type,
          payload: { rowIndex: item.rowIndex, subscriberId: item.subscriberId, ...payload },
        },
      ],
      at,
    );
  }

  /** A fenced write that affected nothing means another worker holds the item now. */
  private async check(write: Promise<boolean>): Promise<void> {
    if (!(await write)) {
      throw new LeaseLost();
    }
  }
}
