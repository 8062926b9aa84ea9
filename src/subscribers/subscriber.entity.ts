import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/** A subscriber company of the MiSP on iPaaS.com. Minimal for now; the registry issue grows it. */
@Entity('subscribers')
@Index('UQ_subscribers_ipaas_company_id', ['ipaasCompanyId'], { unique: true })
export class SubscriberEntity {
  /** A UUID generated in code (portable: no database-side generator). */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ipaas_company_id', type: 'varchar', length: 64 })
  ipaasCompanyId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Set when the vendor answered a monthly 429 for this company: no calls until then (or a manual reset). */
  @InstantColumn({ name: 'quota_exhausted_until', nullable: true })
  quotaExhaustedUntil!: Date | null;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
