import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { DomainEvents } from '../common/events/domain-events';
import type { WebhookEventStatus } from './webhook.types';
import { WebhooksRepository } from './webhooks.repository';

/** A job's end state as its webhook events show it. */
function eventStatusOf(jobState: string): WebhookEventStatus {
  return jobState === 'succeeded' ? 'job_succeeded' : 'job_failed';
}

/**
 * Webhook events follow the jobs they started: an onboard event reads `job_succeeded` or `job_failed` once its
 * job ended (`job_created` until then, and again after a retry or resume reopens the job), so a billing system
 * integrator sees how the company's onboarding went, not merely that a job was stored. An end that comes before
 * the event names its job is caught when the event is settled (WebhooksRepository.settle).
 */
@Injectable()
export class WebhookJobOutcomesListener implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly events: DomainEvents,
    private readonly repository: WebhooksRepository,
    @InjectPinoLogger(WebhookJobOutcomesListener.name) private readonly logger: PinoLogger,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(async (event) => {
      if (event.type !== 'provisioning_job.ended' && event.type !== 'provisioning_job.reopened') {
        return;
      }
      const status = event.type === 'provisioning_job.ended' ? eventStatusOf(event.state) : 'job_created';
      try {
        await this.repository.followJob(event.jobId, status);
      } catch (error) {
        this.logger.error({ err: error, jobId: event.jobId }, 'could not update the webhook events of a job');
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}
