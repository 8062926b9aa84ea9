import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/**
 * One refresh token of a sign-in session. A session is a family: every refresh marks the presented token
 * used and adds its successor to the family; presenting a used token again revokes the whole family.
 */
@Entity('refresh_tokens')
@Index('UQ_refresh_tokens_token_hash', ['tokenHash'], { unique: true })
export class RefreshTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('IDX_refresh_tokens_staff_id')
  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  @ForeignKey('staff_users', 'id', { name: 'FK_refresh_tokens_staff_id', onDelete: 'CASCADE' })
  staffId!: string;

  /** The session id; access tokens carry it as `sid`. */
  @Index('IDX_refresh_tokens_family_id')
  @Column({ name: 'family_id', type: 'varchar', length: 36 })
  familyId!: string;

  /** SHA-256 (hex) of the token; the token itself is shown once and never stored. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @InstantColumn({ name: 'expires_at' })
  expiresAt!: Date;

  /** Set when the token was exchanged for its successor. */
  @InstantColumn({ name: 'used_at', nullable: true })
  usedAt!: Date | null;

  /** Set on every token of the family at logout, on reuse, or when staff are disabled or demoted. */
  @InstantColumn({ name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;
}
