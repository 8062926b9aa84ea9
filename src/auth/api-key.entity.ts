import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { StaffRole } from './roles';

/** A staff API key for scripts: `tnt_<id>_<secret>`, sent as `X-API-Key`. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: StaffRole;

  /** The staff user who created the key (history; set to null when that user is deleted). */
  @Index('IDX_api_keys_created_by')
  @Column({ name: 'created_by', type: 'varchar', length: 36, nullable: true })
  @ForeignKey('staff_users', 'id', { name: 'FK_api_keys_created_by', onDelete: 'SET NULL' })
  createdBy!: string | null;

  /**
   * The staff user the key acts for (its creator unless transferred). The key's effective role is never above
   * the owner's; it is refused while the owner is disabled, and once the owner is deleted (null).
   */
  @Index('IDX_api_keys_owner_id')
  @Column({ name: 'owner_id', type: 'varchar', length: 36, nullable: true })
  @ForeignKey('staff_users', 'id', { name: 'FK_api_keys_owner_id', onDelete: 'SET NULL' })
  ownerId!: string | null;

  /** SHA-256 (hex) of the secret part. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @InstantColumn({ name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @InstantColumn({ name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;
}
