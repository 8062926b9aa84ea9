import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Clock } from '../common/time/clock';
import { Transactions } from '../database/transactions';
import { IdGenerator } from '../subscribers/id-generator';
import type { WebhookEventEntity } from './webhook-event.entity';
import { failureOf, jobKeyOf, type JobOutcome, WebhookJobs } from './webhook-jobs';
import type { MappedEvent } from './webhook-mapping';
import type { WebhookSourceEntity } from './webhook-source.entity';
import { JOB_ACTIONS, SETTLED_EVENT_STATUSES } from './webhook.types';
import { WebhookWorker } from './webhook.worker';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Turns a mapped event into its effect. The unique (source, webhook id) index makes a duplicate fail its
 * insert, even concurrently; the job's idempotency key `webhook:<source>:<id>` makes a second submission
 * find the first job.
 *
 * onboard/reapply on SQLite: the event row and the job are written in ONE transaction (the job submission
 * joins it). On PostgreSQL a transaction does not join another, and holding one open while the engine takes
 * further pool connections would starve the pool under concurrent deliveries (duplicates wait on the unique
 * index while holding theirs); so the event is committed first (`accepted`), then the job is submitted and the
 * event settled. If the process dies in between, the worker submits the job later under the same key.
 * offboard/health_check: the event is stored `accepted` and the webhook worker runs it.
 */
@Injectable()
export class WebhookDispatcher {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly transactions: Transactions,
    private readonly jobs: WebhookJobs,
    private readonly worker: WebhookWorker,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /**
   * Stores a new event and starts its effect; a duplicate (source, webhook id) or (source, signed digest)
   * rejects with a unique violation.
   */
  async accept(
    source: WebhookSourceEntity,
    { webhookId, signedDigest }: { webhookId: string; signedDigest: string | null },
    payload: string,
    mapped: MappedEvent,
  ): Promise<WebhookEventEntity> {
    const event: WebhookEventEntity = {
      id: this.ids.newId(),
      sourceId: source.id,
      webhookId,
      signedDigest,
      eventType: mapped.eventType,
      action: mapped.rule.action,
      status: 'accepted',
      subscriberId: null,
      jobId: null,
      errorCode: null,
      errorMessage: null,
      payload,
      receivedAt: this.clock.now(),
      processedAt: null,
      replays: 0,
    };
    if (mapped.rule.action === 'onboard') {
      await this.jobs.refuseUnknownCompany(mapped);
    }
    if (!JOB_ACTIONS.includes(mapped.rule.action)) {
      event.subscriberId = (await this.jobs.registered(mapped)).id;
      await this.transactions.run((manager) => this.repository.insertEvent(manager, event));
      this.worker.wake();
      return event;
    }
    if (this.transactions.isSqlite) {
      return this.transactions.run(async (manager) => {
        await this.repository.insertEvent(manager, event);
        const outcome = await this.jobs.submit(source, mapped, jobKeyOf(event));
        await this.repository.settle(event.id, { statuses: ['accepted'] }, outcome, manager);
        return Object.assign(event, outcome);
      });
    }
    await this.transactions.run((manager) => this.repository.insertEvent(manager, event));
    let outcome: JobOutcome;
    try {
      outcome = await this.jobs.submit(source, mapped, jobKeyOf(event));
    } catch (error) {
      if (
        error instanceof AppError &&
        (error.code === ErrorCode.WEBHOOK_PAYLOAD_UNUSABLE ||
          error.code === ErrorCode.SUBSCRIBER_UNKNOWN_AT_VENDOR)
      ) {
        // Refused like any unusable payload: nothing stays stored.
        await this.repository.deleteEvent(event.id);
      }
      throw error;
    }
    await this.repository.settle(event.id, { statuses: ['accepted'] }, outcome);
    return Object.assign(event, outcome);
  }

  /**
   * Runs a stored event again through the source's current rules (409 while it is queued or running). The
   * event is claimed first (compare-and-swap on its status and replay count), so two replays never overlap.
   */
  async replay(source: WebhookSourceEntity, event: WebhookEventEntity, mapped: MappedEvent): Promise<void> {
    const replays = event.replays + 1;
    const isJob = JOB_ACTIONS.includes(mapped.rule.action);
    const subscriberId = isJob ? event.subscriberId : (await this.jobs.registered(mapped)).id;
    const claimed = await this.repository.settle(
      event.id,
      { statuses: [...SETTLED_EVENT_STATUSES], replays: event.replays },
      {
        eventType: mapped.eventType,
        action: mapped.rule.action,
        replays,
        subscriberId,
        jobId: null,
        errorCode: null,
        errorMessage: null,
        status: isJob ? 'processing' : 'accepted',
        processedAt: isJob ? this.clock.now() : null,
      },
    );
    if (!claimed) {
      throw new AppError(
        ErrorCode.CONFLICT,
        `Webhook event ${event.id} is being processed; replay it once it has ended`,
      );
    }
    if (!isJob) {
      this.worker.wake();
      return;
    }
    try {
      const outcome = await this.jobs.submit(source, mapped, jobKeyOf({ ...event, replays }));
      await this.repository.settle(event.id, { statuses: ['processing'] }, outcome);
    } catch (error) {
      await this.repository.settle(
        event.id,
        { statuses: ['processing'] },
        {
          ...failureOf(error),
          processedAt: this.clock.now(),
        },
      );
      throw error;
    }
  }
}
