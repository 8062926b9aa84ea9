import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { AuditActorKind, AuditOutcome } from './audit.types';

/**
 * One row of the append-only audit trail; the app never updates or deletes one. `seq` is assigned by the
 * appender from the chain head (not by a database sequence), so seqs are consecutive with no gaps: a gap
 * means a deleted row. No foreign key to subscribers: audit rows outlive the companies they mention.
 */
@Entity('audit_events')
@Index('IDX_audit_events_at', ['at'])
@Index('IDX_audit_events_action', ['action'])
@Index('IDX_audit_events_subscriber_id', ['subscriberId'])
@Index('IDX_audit_events_actor_id', ['actorId'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 36 })
  id!: string;

  @InstantColumn()
  at!: Date;

  @Column({ name: 'actor_kind', type: 'varchar', length: 16 })
  actorKind!: AuditActorKind;

  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_label', type: 'varchar', length: 320 })
  actorLabel!: string;

  @Column({ type: 'varchar', length: 200 })
  action!: string;

  @Column({ name: 'subscriber_id', type: 'varchar', length: 36, nullable: true })
  subscriberId!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  target!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  /** A JSON object, redacted of secrets; hashed as the exact stored text. */
  @Column({ type: 'text', nullable: true })
  details!: string | null;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
