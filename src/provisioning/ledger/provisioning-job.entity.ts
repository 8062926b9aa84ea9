import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../../database/columns';
import type { JobMode, JobState } from './ledger.types';

/**
 * One bulk provisioning request. The item counters are a snapshot written at job transitions (start,
 * cancel, retry, end); reads of an active job count its items live (see LedgerRepository.countItems).
 */
@Entity('provisioning_jobs')
@Index('IDX_provisioning_jobs_state', ['state'])
@Index('IDX_provisioning_jobs_created_at', ['createdAt'])
export class ProvisioningJobEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'template_id', type: 'varchar', length: 36 })
  templateId!: string;

  @Column({ name: 'template_version', type: 'integer' })
  templateVersion!: number;

  @Column({ type: 'varchar', length: 8 })
  mode!: JobMode;

  /** The plan job this apply job executes; null without a plan. */
  @Column({ name: 'plan_id', type: 'varchar', length: 36, nullable: true })
  planId!: string | null;

  @Column({ type: 'varchar', length: 24 })
  state!: JobState;

  /** The request's options, as JSON. */
  @Column({ type: 'text' })
  options!: string;

  /** Most items of this job in flight at once (all instances); null: no cap beyond the worker pools. */
  @Column({ name: 'max_in_flight', type: 'integer', nullable: true })
  maxInFlight!: number | null;

  /** When an item of this job was last claimed (epoch ms): claims go to the job waiting longest (round-robin). */
  @InstantColumn({ name: 'claimed_at' })
  claimedAt!: Date;

  @Column({ name: 'items_total', type: 'integer' })
  itemsTotal!: number;

  @Column({ name: 'items_pending', type: 'integer' })
  itemsPending!: number;

  @Column({ name: 'items_waiting', type: 'integer', default: 0 })
  itemsWaiting!: number;

  @Column({ name: 'items_running', type: 'integer' })
  itemsRunning!: number;

  @Column({ name: 'items_succeeded', type: 'integer' })
  itemsSucceeded!: number;

  @Column({ name: 'items_failed', type: 'integer' })
  itemsFailed!: number;

  @Column({ name: 'items_skipped', type: 'integer' })
  itemsSkipped!: number;

  @Column({ name: 'items_cancelled', type: 'integer' })
  itemsCancelled!: number;

  @Column({ name: 'vendor_calls', type: 'integer' })
  vendorCalls!: number;

  /**
   * Runs of the job: 1 when submitted, one more each time retry or resume reopens it. Each run ends with one
   * `job.finished` event carrying its run, so a stream can tell the current end from an earlier one.
   */
  @Column({ type: 'integer', default: 1 })
  run!: number;

  /** The label of the principal that submitted the job (an email or key name). */
  @Column({ name: 'created_by', type: 'varchar', length: 320 })
  createdBy!: string;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'started_at', nullable: true })
  startedAt!: Date | null;

  @InstantColumn({ name: 'finished_at', nullable: true })
  finishedAt!: Date | null;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
