import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { DeliveryState } from './alert.types';

/** One alert to one destination: durable, so a restart resumes pending deliveries. */
@Entity('alert_deliveries')
@Index('IDX_alert_deliveries_state_next_attempt_at', ['state', 'nextAttemptAt'])
@Index('IDX_alert_deliveries_alert_id', ['alertId'])
export class AlertDeliveryEntity {
  /** Also the `webhook-id` header, so receivers can deduplicate retries. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'alert_id', type: 'varchar', length: 36 })
  alertId!: string;

  @Column({ name: 'destination_id', type: 'varchar', length: 36 })
  destinationId!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: DeliveryState;

  @Column({ type: 'integer' })
  attempts!: number;

  @InstantColumn({ name: 'next_attempt_at', nullable: true })
  nextAttemptAt!: Date | null;

  @InstantColumn({ name: 'last_attempt_at', nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;
}
