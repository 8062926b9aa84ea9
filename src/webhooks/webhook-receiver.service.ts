import { Injectable } from '@nestjs/common';

import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { hasBadText, jsonShapeError, jsonShapeProblems } from '../common/http/json-shape';
import { Clock } from '../common/time/clock';
import { isUniqueViolation } from '../database/unique-violation';
import { WebhookDispatcher } from './webhook-dispatcher';
import { unusable } from './webhook-jobs';
import type { WebhookEventEntity } from './webhook-event.entity';
import { JOB_ACTIONS } from './webhook.types';
import { mapEvent, parsePayload, valueAt } from './webhook-mapping';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { deliveryIdHeader, signedDigestOf, verifyDelivery } from './signature-verifier';
import { WebhookSourcesService } from './webhook-sources.service';
import type { WebhookReceiptDto } from './webhooks.dto';
import { type DeliveryOutcome, WebhooksMetrics } from './webhooks.metrics';
import { WebhooksRepository } from './webhooks.repository';

const MAX_WEBHOOK_ID_LENGTH = 255;
const FIRST_OUTCOME_WAIT_MS = 2000;
const FIRST_OUTCOME_POLL_MS = 25;
/** Refusals of a verified delivery for what it says: nothing is stored, the sender sees a 4xx. */
const UNUSABLE_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.WEBHOOK_PAYLOAD_UNUSABLE,
  ErrorCode.BODY_TOO_DEEP,
  ErrorCode.SUBSCRIBER_UNKNOWN_AT_VENDOR,
]);

export interface Receipt {
  /** 202 for a new event, 200 for a duplicate (the first delivery's outcome). */
  status: 200 | 202;
  body: WebhookReceiptDto;
}

export function receiptOf(event: WebhookEventEntity): WebhookReceiptDto {
  return { eventId: event.id, status: event.status, jobId: event.jobId };
}

/**
 * POST /v1/webhooks/{sourceId}: verify over the raw bytes, rate-limit, deduplicate, map, store and hand over
 * — answering at once. Every refusal happens before anything is written.
 */
@Injectable()
export class WebhookReceiverService {
  constructor(
    private readonly sources: WebhookSourcesService,
    private readonly repository: WebhooksRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly rateLimiter: WebhookRateLimiter,
    private readonly metrics: WebhooksMetrics,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async receive(
    sourceId: string,
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
    requestId: string | null,
  ): Promise<Receipt> {
    const startedAt = process.hrtime.bigint();
    const outcome = (result: DeliveryOutcome) => this.metrics.delivered(result, startedAt);
    const source = await this.sources.verifiable(sourceId);
    if (source === null) {
      outcome('not_found');
      throw AppError.notFound(`Webhook source ${sourceId}`);
    }
    const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
    const verdict = verifyDelivery({ headers, body: bytes }, source, source.secrets, this.clock.nowMs());
    if (!verdict.valid) {
      outcome('unauthorized');
      throw new AppError(
        ErrorCode.WEBHOOK_SIGNATURE_INVALID,
        `The delivery could not be verified: ${verdict.reason}`,
      );
    }
    const waitSeconds = this.rateLimiter.take(sourceId, source.entity.rateLimitPerSecond);
    if (waitSeconds > 0) {
      outcome('rate_limited');
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `Webhook source ${sourceId} sends faster than its rate limit`,
        {
          headers: { 'Retry-After': String(waitSeconds) },
        },
      );
    }
    let webhookId: string | undefined;
    // Set when the signature does not cover the id: the same signed bytes are then the same delivery.
    const signedDigest = signedDigestOf(source, headers, bytes);
    try {
      const parsed = parsePayload(bytes);
      if (parsed === null) {
        throw unusable('The body is not UTF-8 JSON');
      }
      // The same depth cap as every parsed body (the JSON parsers never see these raw bytes).
      const tooDeep = jsonShapeError(jsonShapeProblems(parsed.payload, { keysAndStrings: false }));
      if (tooDeep !== undefined) {
        throw tooDeep;
      }
      webhookId = this.webhookIdOf(headers, source, parsed.payload);
      const mapping = mapEvent(parsed.payload, source.entity.eventTypeField, source.rules, source.defaulted);
      if (!('mapped' in mapping)) {
        // A duplicate still gets the first outcome, even when the rules have changed since.
        const first = await this.firstDelivery(sourceId, webhookId, signedDigest);
        if (first !== null) {
          outcome('duplicate');
          return { status: 200, body: receiptOf(first) };
        }
        throw unusable(
          `The payload cannot be used (event type ${mapping.eventType ?? 'unknown'})`,
          mapping.problems,
        );
      }
      // No look-up first: the insert itself finds a duplicate (unique index), which saves a query per event.
      const event = await this.dispatcher.accept(
        source.entity,
        { webhookId, signedDigest },
        parsed.text,
        mapping.mapped,
      );
      outcome('accepted');
      // Not awaited: the audit trail commits in groups, and the sender should not wait for it.
      void this.audit.record({
        actor: { kind: 'webhook', id: source.entity.id, label: source.entity.name },
        action: 'webhook.accepted',
        subscriberId: event.subscriberId,
        target: `event=${event.id}`,
        requestId,
        outcome: 'success',
        details: { webhookId, eventType: event.eventType, action: event.action, jobId: event.jobId },
      });
      return { status: 202, body: receiptOf(event) };
    } catch (error) {
      if (error instanceof AppError && UNUSABLE_CODES.has(error.code)) {
        outcome('unusable');
        throw error;
      }
      if (isUniqueViolation(error) && webhookId !== undefined) {
        // The same event (its id, or its signed bytes under another id) committed first: its outcome.
        const first = await this.firstDelivery(sourceId, webhookId, signedDigest);
        if (first !== null) {
          outcome('duplicate');
          return { status: 200, body: receiptOf(first) };
        }
      }
      throw error;
    }
  }

  /**
   * The first delivery's event, once its job is known: on PostgreSQL the event is committed before its job is
   * submitted (see WebhookDispatcher), so a concurrent duplicate may find it a moment before the job id; it
   * waits briefly for it, so every answer for one event names the same job.
   */
  private async firstDelivery(
    sourceId: string,
    webhookId: string,
    signedDigest: string | null,
  ): Promise<WebhookEventEntity | null> {
    const deadline = this.clock.nowMs() + FIRST_OUTCOME_WAIT_MS;
    for (;;) {
      const first =
        (await this.repository.findEventByWebhookId(sourceId, webhookId)) ??
        (signedDigest === null
          ? null
          : await this.repository.findEventBySignedDigest(sourceId, signedDigest));
      const settling =
        first?.status === 'accepted' && first.jobId === null && JOB_ACTIONS.includes(first.action);
      if (!settling || this.clock.nowMs() >= deadline) {
        return first;
      }
      await this.clock.sleep(FIRST_OUTCOME_POLL_MS);
    }
  }

  /** The sender's delivery id: a header, or the source's payload field (hmac sources without an id header). */
  private webhookIdOf(
    headers: Record<string, string | string[] | undefined>,
    source: Parameters<typeof deliveryIdHeader>[1],
    payload: unknown,
  ): string {
    const fromHeader = deliveryIdHeader(headers, source);
    const idField = source.hmac?.idField;
    const fromPayload = idField === undefined ? undefined : valueAt(payload, idField);
    const id =
      fromHeader ??
      (typeof fromPayload === 'string' || typeof fromPayload === 'number' ? String(fromPayload) : '');
    if (id.length === 0 || id.length > MAX_WEBHOOK_ID_LENGTH || hasBadText(id)) {
      throw unusable(`The delivery id is missing or longer than ${MAX_WEBHOOK_ID_LENGTH} characters`);
    }
    return id;
  }
}
