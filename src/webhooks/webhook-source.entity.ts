import { Column, Entity, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { WebhookScheme } from './webhook.types';

/** A billing or CRM system that may send signed events. Its secrets are rows of webhook_source_secrets. */
@Entity('webhook_sources')
export class WebhookSourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 32 })
  scheme!: WebhookScheme;

  /** JSON HmacScheme (hmac_sha256 only). */
  @Column({ name: 'hmac_settings', type: 'text', nullable: true })
  hmacSettings!: string | null;

  @Column({ name: 'event_type_field', type: 'varchar', length: 200 })
  eventTypeField!: string;

  /** JSON WebhookRule[]. */
  @Column({ type: 'text' })
  rules!: string;

  @Column({ name: 'rate_limit_per_second', type: 'integer' })
  rateLimitPerSecond!: number;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
