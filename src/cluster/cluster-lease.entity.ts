import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/**
 * A named, expiring claim shared by every Tenantry instance on one database: instance heartbeats
 * (`instance:<id>`), scheduled ticks (`tick:<job>@<fire time>`, claimed once, never released) and company token
 * mints (`token-mint:<subscriberId>`). Whoever holds an unexpired row holds the name.
 */
@Entity('cluster_leases')
@Index('IDX_cluster_leases_expires_at', ['expiresAt'])
export class ClusterLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  name!: string;

  /** The instance id of the holder. */
  @Column({ type: 'varchar', length: 64 })
  owner!: string;

  @InstantColumn({ name: 'expires_at' })
  expiresAt!: Date;
}
