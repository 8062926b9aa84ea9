import { Column, Entity, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../../database/columns';
import type { PlannedAction, StepKind } from '../steps/step.types';
import type { StepState } from './ledger.types';

/** One desired resource of an item, in run order. Persisted after each step, so a crash loses at most one. */
@Entity('provisioning_steps')
export class ProvisioningStepEntity {
  @PrimaryColumn({ name: 'item_id', type: 'varchar', length: 36 })
  itemId!: string;

  @PrimaryColumn({ name: 'step_index', type: 'integer' })
  stepIndex!: number;

  @Column({ type: 'varchar', length: 32 })
  kind!: StepKind;

  @Column({ type: 'varchar', length: 500 })
  key!: string;

  /** What the plan expects (create/update/noop); null when outlined without reading the vendor. */
  @Column({ name: 'planned_action', type: 'varchar', length: 8, nullable: true })
  plannedAction!: PlannedAction | null;

  /** The rendered desired state, as JSON. */
  @Column({ type: 'text' })
  desired!: string;

  /** Fingerprint of the vendor state read when planning (null: nothing existed or not planned). */
  @Column({ type: 'varchar', length: 128, nullable: true })
  observed!: string | null;

  @Column({ name: 'estimated_calls', type: 'integer' })
  estimatedCalls!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: StepState;

  /** What the step did: created, updated or noop. */
  @Column({ name: 'result_action', type: 'varchar', length: 8, nullable: true })
  resultAction!: string | null;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'last_error_code', type: 'varchar', length: 64, nullable: true })
  lastErrorCode!: string | null;

  @Column({ name: 'last_error_message', type: 'varchar', length: 1000, nullable: true })
  lastErrorMessage!: string | null;

  /** The vendor's request ids of the step's calls, as a JSON array; null before it ran. */
  @Column({ name: 'vendor_request_ids', type: 'text', nullable: true })
  vendorRequestIds!: string | null;

  @Column({ name: 'vendor_calls', type: 'integer' })
  vendorCalls!: number;

  @Column({ type: 'boolean' })
  drift!: boolean;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
