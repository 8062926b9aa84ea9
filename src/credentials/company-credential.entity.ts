import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

export type CredentialKind = 'api_key' | 'company_session';
export type CredentialStatus = 'valid' | 'invalid';

/**
 * The one vendor token of a subscriber company. The subscriber id is the primary key, so "one row per
 * company" is a structural fact rather than an extra unique index. Secrets live only in the `*_sealed`
 * columns, as vault envelopes (listed in src/vault/sealed-columns.ts for the boot check and rotation).
 */
@Entity('company_credentials')
export class CompanyCredentialEntity {
  // The target is named by table so this module does not import the subscribers module's entity.
  @PrimaryColumn({ name: 'subscriber_id', type: 'varchar', length: 36 })
  @ForeignKey('subscribers', 'id', { name: 'FK_company_credentials_subscriber_id', onDelete: 'CASCADE' })
  subscriberId!: string;

  @Column({ type: 'varchar', length: 20 })
  kind!: CredentialKind;

  @Column({ name: 'api_key_sealed', type: 'text', nullable: true })
  apiKeySealed!: string | null;

  @Column({ name: 'access_token_sealed', type: 'text', nullable: true })
  accessTokenSealed!: string | null;

  @Column({ name: 'refresh_token_sealed', type: 'text', nullable: true })
  refreshTokenSealed!: string | null;

  /** The vault kid all sealed columns of the row are under (the boot check and rotation query it). */
  @Index('IDX_company_credentials_key_id')
  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  /** Last four characters of the API key or access token, as a hint for staff; empty for short secrets. */
  @Column({ type: 'varchar', length: 4 })
  last4!: string;

  @InstantColumn({ name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  status!: CredentialStatus;

  @Column({ name: 'invalid_reason', type: 'varchar', length: 500, nullable: true })
  invalidReason!: string | null;

  @InstantColumn({ name: 'last_verified_at', nullable: true })
  lastVerifiedAt!: Date | null;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
