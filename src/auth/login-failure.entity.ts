import { Column, Entity, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/**
 * Failed sign-ins counted per account (`account:<email>`) and per client (`ip:<address>`).
 *
 * In the database rather than @nestjs/throttler: the throttler counts requests, not failures, and its default
 * storage lives in one process, so several instances would each allow the full count.
 */
@Entity('login_failures')
export class LoginFailureEntity {
  @PrimaryColumn({ type: 'varchar', length: 400 })
  key!: string;

  @Column({ type: 'integer' })
  failures!: number;

  @InstantColumn({ name: 'window_started_at' })
  windowStartedAt!: Date;

  @InstantColumn({ name: 'blocked_until', nullable: true })
  blockedUntil!: Date | null;
}
