import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/** Where alerts are POSTed. The signing secret is vault-sealed; it is shown once, on creation or rotation. */
@Entity('alert_destinations')
export class AlertDestinationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Index('IDX_alert_destinations_key_id')
  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
