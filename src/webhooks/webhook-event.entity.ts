import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { WebhookAction, WebhookEventStatus } from './webhook.types';

/**
 * One verified delivery. The unique (source_id, webhook_id) index is the deduplication: a retry of the same
 * event cannot insert a second row, even concurrently.
 */
@Entity('webhook_events')
@Index('UQ_webhook_events_source_webhook_id', ['sourceId', 'webhookId'], { unique: true })
@Index('UQ_webhook_events_source_signed_digest', ['sourceId', 'signedDigest'], { unique: true })
export class WebhookEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'source_id', type: 'varchar', length: 36 })
  sourceId!: string;

  @Column({ name: 'webhook_id', type: 'varchar', length: 255 })
  webhookId!: string;

  /**
   * sha256 (hex) of the signed bytes, when the signature does not cover the delivery id (see
   * `signedDigestOf`): a captured delivery resent under a new id is then still a duplicate. Null otherwise.
   */
  @Column({ name: 'signed_digest', type: 'varchar', length: 64, nullable: true })
  signedDigest!: string | null;

  @Column({ name: 'event_type', type: 'varchar', length: 200 })
  eventType!: string;

  @Column({ type: 'varchar', length: 32 })
  action!: WebhookAction;

  @Index('IDX_webhook_events_status')
  @Column({ type: 'varchar', length: 16 })
  status!: WebhookEventStatus;

  @Column({ name: 'subscriber_id', type: 'varchar', length: 36, nullable: true })
  subscriberId!: string | null;

  @Column({ name: 'job_id', type: 'varchar', length: 36, nullable: true })
  jobId!: string | null;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  @Column({ name: 'error_message', type: 'varchar', length: 500, nullable: true })
  errorMessage!: string | null;

  /** The verified raw body (UTF-8), kept for replay. */
  @Column({ type: 'text' })
  payload!: string;

  @Index('IDX_webhook_events_received_at')
  @InstantColumn({ name: 'received_at' })
  receivedAt!: Date;

  /** When processing ended; while `processing`, when the worker claimed it. */
  @InstantColumn({ name: 'processed_at', nullable: true })
  processedAt!: Date | null;

  @Column({ type: 'integer' })
  replays!: number;
}
