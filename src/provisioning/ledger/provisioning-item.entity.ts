import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../../database/columns';
import type { ItemState, WaitReason } from './ledger.types';

/**
 * One company of a job. A worker owns it while its lease runs; `fence` grows with every claim and every write
 * of the worker is conditional on the fence it claimed with, so a worker whose lease was taken over writes
 * nothing.
 */
@Entity('provisioning_items')
@Index('UQ_provisioning_items_job_row', ['jobId', 'rowIndex'], { unique: true })
// The claim's scan within a job (due pending items in row order) and the per-state counts of a job.
@Index('IDX_provisioning_items_job_queue', ['jobId', 'state', 'nextAttemptAt', 'rowIndex'])
@Index('IDX_provisioning_items_state_lease', ['state', 'leaseExpiresAt'])
@Index('IDX_provisioning_items_subscriber_state', ['subscriberId', 'state'])
export class ProvisioningItemEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'job_id', type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ name: 'subscriber_id', type: 'varchar', length: 36 })
  subscriberId!: string;

  /** Position of the company in the request (0-based). */
  @Column({ name: 'row_index', type: 'integer' })
  rowIndex!: number;

  /** The row's template variables, as JSON; null when none. */
  @Column({ type: 'text', nullable: true })
  vars!: string | null;

  @Column({ type: 'varchar', length: 16 })
  state!: ItemState;

  /** Claims so far (a reclaimed lease counts as an attempt). */
  @Column({ type: 'integer' })
  attempts!: number;

  /**
   * Attempts that ended in a transient failure: the retry budget (PROVISIONING_MAX_ATTEMPTS). A worker that
   * died mid-item (its lease lapsed) does not spend it, so crashes cannot fail a healthy item.
   */
  @Column({ type: 'integer', default: 0 })
  failures!: number;

  @Column({ type: 'integer' })
  fence!: number;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @InstantColumn({ name: 'lease_expires_at', nullable: true })
  leaseExpiresAt!: Date | null;

  /** A pending or waiting item is not claimed before this instant (retry backoff, the next look). */
  @InstantColumn({ name: 'next_attempt_at' })
  nextAttemptAt!: Date;

  /** Index of the last step worked on (written, with vendor_calls and drift, when the item ends or is released). */
  @Column({ name: 'current_step', type: 'integer', nullable: true })
  currentStep!: number | null;

  @Column({ name: 'last_error_code', type: 'varchar', length: 64, nullable: true })
  lastErrorCode!: string | null;

  @Column({ name: 'last_error_message', type: 'varchar', length: 1000, nullable: true })
  lastErrorMessage!: string | null;

  /** Why the item waits (`relationship_pending`); null unless it is waiting. */
  @Column({ name: 'wait_reason', type: 'varchar', length: 32, nullable: true })
  waitReason!: WaitReason | null;

  /** When a waiting item gives up (set when it first waits: PROVISIONING_WAIT_MAX_HOURS later). */
  @InstantColumn({ name: 'wait_until', nullable: true })
  waitUntil!: Date | null;

  /** Why the item was skipped (an error code such as SUBSCRIBER_INACTIVE); null unless skipped. */
  @Column({ name: 'skip_reason', type: 'varchar', length: 64, nullable: true })
  skipReason!: string | null;

  /** Vendor calls of its succeeded steps, over all attempts. */
  @Column({ name: 'vendor_calls', type: 'integer' })
  vendorCalls!: number;

  /** The vendor state differed from the plan's when a step ran. */
  @Column({ type: 'boolean' })
  drift!: boolean;

  @InstantColumn({ name: 'started_at', nullable: true })
  startedAt!: Date | null;

  @InstantColumn({ name: 'finished_at', nullable: true })
  finishedAt!: Date | null;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
