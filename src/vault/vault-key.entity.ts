import { Column, Entity, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/**
 * The key-check value of every kid this database has seen. The key itself is never stored: the check value
 * lets the boot refuse a changed key under a known kid before it writes anything under it.
 */
@Entity('vault_keys')
export class VaultKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  kid!: string;

  @Column({ name: 'check_value', type: 'varchar', length: 64 })
  checkValue!: string;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;
}
