import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { HealthStatus } from '../subscribers/subscriber.entity';

/** Outcome of one check; `unknown` is only the registry's "never checked" value, never a result. */
export type CheckedStatus = Exclude<HealthStatus, 'unknown'>;

/** One health check of one subscriber company, kept HEALTH_HISTORY_DAYS. */
@Entity('health_check_results')
@Index('IDX_health_check_results_subscriber_checked', ['subscriberId', 'checkedAt'])
@Index('IDX_health_check_results_checked_at', ['checkedAt'])
export class HealthCheckResultEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'subscriber_id', type: 'varchar', length: 36 })
  @ForeignKey('subscribers', 'id', { name: 'FK_health_check_results_subscriber_id', onDelete: 'CASCADE' })
  subscriberId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: CheckedStatus;

  /** Reason codes, comma-separated (empty when healthy). */
  @Column({ type: 'varchar', length: 500 })
  reasons!: string;

  /** Latency of the cheap read, in ms; null when no read was made. */
  @Column({ name: 'latency_ms', type: 'integer', nullable: true })
  latencyMs!: number | null;

  @InstantColumn({ name: 'checked_at' })
  checkedAt!: Date;
}
