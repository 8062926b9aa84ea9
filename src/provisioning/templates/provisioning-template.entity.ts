import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../../database/columns';

/** One version of a provisioning template: rows are never updated, a change is a new version. */
@Entity('provisioning_templates')
@Index('UQ_provisioning_templates_name_version', ['name', 'version'], { unique: true })
export class ProvisioningTemplateEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  /** The TemplateSpec as JSON text (portable: no JSON column type). */
  @Column({ type: 'text' })
  spec!: string;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  /** Who saved this version: a staff email or API key name (no secret). */
  @Column({ name: 'created_by', type: 'varchar', length: 320 })
  createdBy!: string;
}
