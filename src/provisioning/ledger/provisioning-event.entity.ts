import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

import { InstantColumn } from '../../database/columns';

/**
 * What happened to a job and its items, in order: the source of the job's event stream (SSE). In the database
 * rather than in memory so a stream served by one instance shows the work of every instance.
 */
@Entity('provisioning_events')
@Index('IDX_provisioning_events_job_seq', ['jobId', 'seq'])
export class ProvisioningEventEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  seq!: number;

  @Column({ name: 'job_id', type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ name: 'item_id', type: 'varchar', length: 36, nullable: true })
  itemId!: string | null;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  /** JSON object. */
  @Column({ type: 'text' })
  payload!: string;

  @InstantColumn()
  at!: Date;
}
