import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The one row of `audit_chain_head`. */
export const AUDIT_CHAIN_HEAD_ID = 'audit';

/**
 * The newest link of the audit chain, in a row of its own: deleting the newest audit rows leaves it pointing
 * past the end, which a chain walk alone could not notice. Appenders lock this row, so it also serializes
 * appends across instances sharing one PostgreSQL database.
 */
@Entity('audit_chain_head')
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id!: string;

  @Column({ name: 'last_seq', type: 'integer' })
  lastSeq!: number;

  @Column({ name: 'last_hash', type: 'varchar', length: 64 })
  lastHash!: string;
}
