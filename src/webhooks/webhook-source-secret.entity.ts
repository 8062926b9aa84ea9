import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/** One signing secret of a source, vault-sealed. Several may be active at once (rotation). */
@Entity('webhook_source_secrets')
export class WebhookSourceSecretEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('IDX_webhook_source_secrets_source_id')
  @Column({ name: 'source_id', type: 'varchar', length: 36 })
  sourceId!: string;

  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Index('IDX_webhook_source_secrets_key_id')
  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'retired_at', nullable: true })
  retiredAt!: Date | null;
}
