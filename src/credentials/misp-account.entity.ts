import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/** The MiSP's own iPaaS.com login (used to mint company tokens). One row, id `default`. */
@Entity('misp_accounts')
export class MispAccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 320 })
  email!: string;

  @Column({ name: 'password_sealed', type: 'text' })
  passwordSealed!: string;

  @Column({ name: 'vendor_user_id', type: 'integer', nullable: true })
  vendorUserId!: number | null;

  @InstantColumn({ name: 'verified_at', nullable: true })
  verifiedAt!: Date | null;

  @Index('IDX_misp_accounts_key_id')
  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
