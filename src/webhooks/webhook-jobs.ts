import { Injectable } from '@nestjs/common';

import type { Principal } from '../auth/principal';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Clock } from '../common/time/clock';
import type { CreateJobDto, JobResponseDto } from '../provisioning/jobs/jobs.dto';
import { CompanyRegistration, unknownCompanyMessage } from '../relationships/company-registration';
import { JobsService } from '../provisioning/jobs/jobs.service';
import { type Subscriber, SubscribersService } from '../subscribers/subscribers.service';
import type { WebhookEventEntity } from './webhook-event.entity';
import type { MappedEvent } from './webhook-mapping';
import type { WebhookSourceEntity } from './webhook-source.entity';

/** The caller a source's jobs are submitted as (jobs record it as their creator; keys are scoped to it). */
function sourcePrincipal(source: WebhookSourceEntity): Principal {
  return {
    kind: 'api_key',
    id: `webhook-source:${source.id}`,
    staffId: null,
    label: `webhook:${source.name}`,
    role: 'operator',
    sessionId: null,
  };
}

export function unusable(detail: string, errors?: { field: string; message: string }[]): AppError {
  return new AppError(ErrorCode.WEBHOOK_PAYLOAD_UNUSABLE, detail, errors === undefined ? {} : { errors });
}

function unknownAtVendor(ipaasCompanyId: string): AppError {
  return new AppError(ErrorCode.SUBSCRIBER_UNKNOWN_AT_VENDOR, unknownCompanyMessage(ipaasCompanyId), {
    extensions: { ipaasCompanyId },
  });
}

const MAX_ERROR_LENGTH = 500;

/** How a failed event records its error: the code and detail of an AppError, nothing of anything else. */
export function failureOf(error: unknown): Pick<WebhookEventEntity, 'status' | 'errorCode' | 'errorMessage'> {
  return error instanceof AppError
    ? { status: 'failed', errorCode: error.code, errorMessage: error.detail.slice(0, MAX_ERROR_LENGTH) }
    : { status: 'failed', errorCode: ErrorCode.INTERNAL, errorMessage: 'Unexpected error (see the log)' };
}

/** The idempotency key of an event's job: the first run, then each replay under its own. */
export function jobKeyOf(event: Pick<WebhookEventEntity, 'sourceId' | 'webhookId' | 'replays'>): string {
  const key = `webhook:${event.sourceId}:${event.webhookId}`;
  return event.replays === 0 ? key : `${key}:replay:${event.replays}`;
}

export type JobOutcome = Pick<WebhookEventEntity, 'status' | 'jobId' | 'subscriberId' | 'processedAt'>;

/** Hands an event to the provisioning engine as a one-company job, and finds an event's registered company. */
@Injectable()
export class WebhookJobs {
  constructor(
    private readonly jobs: JobsService,
    private readonly subscribers: SubscribersService,
    private readonly registration: CompanyRegistration,
    private readonly clock: Clock,
  ) {}

  /** Submits the event's job (idempotent under `idempotencyKey`); a job the engine refuses is unusable. */
  async submit(
    source: WebhookSourceEntity,
    mapped: MappedEvent,
    idempotencyKey: string,
  ): Promise<JobOutcome> {
    const { ipaasCompanyId, name, externalRef } = mapped.subscriber;
    const vars = Object.keys(mapped.vars).length > 0 ? { vars: mapped.vars } : {};
    const row =
      mapped.rule.action === 'reapply'
        ? { subscriberId: (await this.registered(mapped)).id, ...vars }
        : { ipaasCompanyId, ...(name === undefined ? {} : { name }), ...vars };
    const request = {
      templateId: mapped.rule.templateId as string,
      mode: 'apply',
      subscribers: [row],
    } as CreateJobDto;
    const outcome = await this.jobs
      .submit(request, sourcePrincipal(source), idempotencyKey)
      .catch((error: unknown) => {
        if (error instanceof AppError && error.code === ErrorCode.VALIDATION_FAILED) {
          if (error.options.extensions?.unknownAtVendor !== undefined) {
            throw unknownAtVendor(ipaasCompanyId);
          }
          throw unusable('The provisioning job for this event is not valid', error.options.errors);
        }
        throw error;
      });
    const subscriber = await this.registered(mapped);
    if (externalRef !== undefined && subscriber.externalRef === null) {
      await this.subscribers.update(subscriber.id, { externalRef }).catch((error: unknown) => {
        throw error instanceof AppError ? unusable(`externalRef ${externalRef}: ${error.detail}`) : error;
      });
    }
    return {
      status: 'job_created',
      jobId: (outcome.body as JobResponseDto).id,
      subscriberId: subscriber.id,
      processedAt: this.clock.now(),
    };
  }

  /**
   * An onboard of a company not registered yet is refused with 422 SUBSCRIBER_UNKNOWN_AT_VENDOR when
   * iPaaS.com does not list it for the MiSP. Called before anything is stored (the job's own check then
   * reuses this reading), so the sender's retry of the same delivery is judged afresh.
   */
  async refuseUnknownCompany(mapped: MappedEvent): Promise<void> {
    const { ipaasCompanyId } = mapped.subscriber;
    if ((await this.subscribers.findByCompanyId(ipaasCompanyId)) !== null) {
      return;
    }
    const check = await this.registration.check([ipaasCompanyId]);
    if (check.fieldsOf(ipaasCompanyId) === undefined) {
      throw unknownAtVendor(ipaasCompanyId);
    }
  }

  /** The registered subscriber of the event's company (offboard, health checks and re-applies need one). */
  async registered(mapped: MappedEvent): Promise<Subscriber> {
    const subscriber = await this.subscribers.findByCompanyId(mapped.subscriber.ipaasCompanyId);
    if (subscriber === null) {
      throw unusable(`Company ${mapped.subscriber.ipaasCompanyId} is not a registered subscriber`);
    }
    return subscriber;
  }
}
