import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { Page } from '../common/http/pagination';
import { WebhookDispatcher } from './webhook-dispatcher';
import { unusable } from './webhook-jobs';
import type { WebhookEventEntity } from './webhook-event.entity';
import { mapEvent, parsePayload } from './webhook-mapping';
import { parseSource, WebhookSourcesService } from './webhook-sources.service';
import type { WebhookEventDetailDto, WebhookEventDto, WebhookEventsQueryDto } from './webhooks.dto';
import { WebhooksRepository } from './webhooks.repository';

function toView(event: WebhookEventEntity): WebhookEventDto {
  return {
    id: event.id,
    sourceId: event.sourceId,
    webhookId: event.webhookId,
    eventType: event.eventType,
    action: event.action,
    status: event.status,
    subscriberId: event.subscriberId,
    jobId: event.jobId,
    errorCode: event.errorCode,
    errorMessage: event.errorMessage,
    receivedAt: event.receivedAt.toISOString(),
    processedAt: event.processedAt?.toISOString() ?? null,
    replays: event.replays,
  };
}

/** The received events: list, one (with its payload), replay. */
@Injectable()
export class WebhookEventsService {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly sources: WebhookSourcesService,
  ) {}

  async list(query: WebhookEventsQueryDto): Promise<Page<WebhookEventDto>> {
    const [rows, total] = await this.repository.pageEvents(
      { sourceId: query.sourceId, status: query.status },
      query.offset,
      query.pageSize,
    );
    return Page.of(rows.map(toView), total, query);
  }

  /** One event; its payload (billing/CRM personal data) only `withPayload`, else null. */
  async get(id: string, withPayload: boolean): Promise<WebhookEventDetailDto> {
    const event = await this.require(id);
    return { ...toView(event), payload: withPayload ? event.payload : null };
  }

  /** Re-runs the stored payload through the source's CURRENT rules, under a new idempotency key. */
  async replay(id: string): Promise<WebhookEventDetailDto> {
    const event = await this.require(id);
    const source = await this.repository.findSource(event.sourceId);
    if (source === null) {
      throw AppError.notFound(`Webhook source ${event.sourceId} of event ${id}`);
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
    await this.dispatcher.replay(source, event, mapping.mapped);
    // Replay is for admins, who may see payloads.
    return this.get(id, true);
  }

  private async require(id: string): Promise<WebhookEventEntity> {
    const event = await this.repository.findEvent(id);
    if (event === null) {
      throw AppError.notFound(`Webhook event ${id}`);
    }
    return event;
  }
}
