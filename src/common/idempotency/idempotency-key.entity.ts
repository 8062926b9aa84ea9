import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../../database/columns';

export const IDEMPOTENCY_STATES = ['in_progress', 'completed'] as const;
export type IdempotencyState = (typeof IDEMPOTENCY_STATES)[number];

/**
 * An `Idempotency-Key` a caller sent, with the request it stood for (a fingerprint) and, once answered, the
 * response to replay. Keys are scoped per caller: two callers may use the same key.
 */
@Entity('idempotency_keys')
@Index('IDX_idempotency_keys_expires_at', ['expiresAt'])
export class IdempotencyKeyEntity {
  /** Who sent the key, e.g. `api_key:<id>` or `staff:<id>`. */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  scope!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255 })
  key!: string;

  /** SHA-256 of the method, route and canonical body: the same key with another request is refused. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: IdempotencyState;

  /** Names the execution holding the key; the response is stored only by that execution (fencing). */
  @Column({ name: 'lock_token', type: 'varchar', length: 36 })
  lockToken!: string;

  @InstantColumn({ name: 'locked_at' })
  lockedAt!: Date;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  /** The JSON response body, replayed verbatim. */
  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody!: string | null;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  /** After this instant the key is forgotten: a new request with it executes afresh. */
  @InstantColumn({ name: 'expires_at' })
  expiresAt!: Date;
}
