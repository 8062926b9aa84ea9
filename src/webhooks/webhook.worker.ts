import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ClusterLeases } from '../cluster/cluster-leases.service';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { HealthCheckService } from '../health-checks/health-check.service';
import { RelationshipsService } from '../relationships/relationships.service';
import type { WebhookEventEntity } from './webhook-event.entity';
import { failureOf, jobKeyOf, unusable, WebhookJobs } from './webhook-jobs';
import { mapEvent, parsePayload } from './webhook-mapping';
import { parseSource, WebhookSourcesService } from './webhook-sources.service';
import { JOB_ACTIONS } from './webhook.types';
import { WebhooksRepository } from './webhooks.repository';

const BATCH_SIZE = 10;
/** A `processing` claim older than this belongs to a worker that died; the event is taken again. */
const CLAIM_EXPIRES_MS = 5 * 60 * 1000;
/** An onboard/reapply event still `accepted` this long after arrival lost its job submission (a crash). */
const ORPHANED_AFTER_MS = 60 * 1000;
const PRUNE_EVERY_MS = 24 * 60 * 60 * 1000;
const PRUNE_JOB = 'webhook-events.prune';

/**
 * Runs accepted offboard and health-check events, durably: it polls the table (so events stored before a
 * restart are picked up) and claims each with a compare-and-swap, so two instances never run one twice at
 * once. Both actions are safe to repeat. It also submits the job of an onboard/reapply event whose
 * submission was lost (same idempotency key, so never twice), and once a day prunes events past the
 * deduplication window.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakePending = false;
  private wakeUp: (() => void) | undefined;
  private lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly jobs: WebhookJobs,
    private readonly sources: WebhookSourcesService,
    private readonly relationships: RelationshipsService,
    private readonly healthChecks: HealthCheckService,
    private readonly leases: ClusterLeases,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @InjectPinoLogger(WebhookWorker.name) private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.wakePending = true;
    this.wakeUp?.();
  }

  private async pruneIfClaimed(now: number): Promise<void> {
    if (!(await this.leases.claimTick(PRUNE_JOB, new Date(now - (now % PRUNE_EVERY_MS))))) {
      return;
    }
    const pruned = await this.repository.pruneEvents(now - this.config.webhooks.dedupeMs);
    if (pruned > 0) {
      this.logger.info({ pruned }, 'webhook events past the deduplication window deleted');
    }
  }

  /** One pass: prune when due, then run the due events (the loop's body; exposed for tests). */
  async runDue(): Promise<void> {
    const now = this.clock.nowMs();
    // Due once a day per instance; of several instances, only the first to claim the UTC day prunes.
    if (now - this.lastPruneMs >= PRUNE_EVERY_MS) {
      this.lastPruneMs = now;
      await this.pruneIfClaimed(now);
    }
    const due = await this.repository.dueWorkerEvents(
      new Date(now - CLAIM_EXPIRES_MS),
      new Date(now - ORPHANED_AFTER_MS),
      BATCH_SIZE,
    );
    await Promise.all(due.map((event) => this.process(event)));
  }

  private async process(event: WebhookEventEntity): Promise<void> {
    if (!(await this.repository.claim(event, this.clock.now()))) {
      return;
    }
    let outcome: Partial<WebhookEventEntity>;
    try {
      outcome = JOB_ACTIONS.includes(event.action)
        ? await this.submitJob(event)
        : { ...(await this.runAction(event)), errorCode: null, errorMessage: null };
    } catch (error) {
      this.logger.warn({ err: error, eventId: event.id, action: event.action }, 'webhook event failed');
      outcome = failureOf(error);
    }
    await this.repository.settle(
      event.id,
      { statuses: ['processing'] },
      { processedAt: this.clock.now(), ...outcome },
    );
  }

  private async runAction(event: WebhookEventEntity): Promise<Pick<WebhookEventEntity, 'status'>> {
    const subscriberId = event.subscriberId as string;
    if (event.action === 'offboard') {
      await this.relationships.offboard(subscriberId);
    } else {
      await this.healthChecks.check(subscriberId);
    }
    return { status: 'succeeded' };
  }

  /** The lost job submission of an accepted event, under its own idempotency key. */
  private async submitJob(event: WebhookEventEntity): Promise<Partial<WebhookEventEntity>> {
    const source = await this.repository.findSource(event.sourceId);
    if (source === null) {
      throw AppError.notFound(`Webhook source ${event.sourceId}`);
    }
    const parsed = parsePayload(Buffer.from(event.payload, 'utf8'));
    const { rules } = parseSource(source);
    const mapping = mapEvent(
      parsed?.payload,
      source.eventTypeField,
      rules,
      await this.sources.defaultedVars(rules),
    );
    if (!('mapped' in mapping)) {
      throw unusable('The stored payload cannot be used with the current rules', mapping.problems);
    }
    return this.jobs.submit(source, mapping.mapped, jobKeyOf(event));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.runDue();
      } catch (error) {
        this.logger.error({ err: error }, 'webhook worker loop failed; retrying at the next poll');
      }
      await this.idle();
    }
  }

  private async idle(): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      void this.clock.sleep(this.config.webhooks.workerPollMs).then(resolve);
    });
    this.wakeUp = undefined;
    this.wakePending = false;
  }
}
