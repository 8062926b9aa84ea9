import { Column, Entity, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/**
 * Sign-in attempts counted per key (see throttleKeys): failures in the window and checks in flight.
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

  /** Password checks reserved before they ran and not yet counted as a failure or released. */
  @Column({ type: 'integer', default: 0 })
  pending!: number;

  @InstantColumn({ name: 'window_started_at' })
  windowStartedAt!: Date;

  @InstantColumn({ name: 'blocked_until', nullable: true })
  blockedUntil!: Date | null;
}
