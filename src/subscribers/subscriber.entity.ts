import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';

/** Where the MiSP relationship with the company stands (see README "Subscriber registry"). */
export const SUBSCRIBER_STATUSES = [
  'requested',
  'approved',
  'role_share_pending',
  'active',
  'suspended',
  'offboarded',
  'error',
  // Registered while iPaaS.com could not be asked (down, no MiSP login): not workable until a sync verifies it.
  'unverified',
] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

/** Written by the health checks; `unknown` until the first one. */
export const HEALTH_STATUSES = ['unknown', 'healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** A subscriber company of the MiSP on iPaaS.com. Tags live in `subscriber_tags`. */
@Entity('subscribers')
@Index('UQ_subscribers_ipaas_company_id', ['ipaasCompanyId'], { unique: true })
// Unique only when set: SQLite and PostgreSQL both let any number of rows hold NULL under a unique index.
@Index('UQ_subscribers_external_ref', ['externalRef'], { unique: true })
@Index('IDX_subscribers_status', ['status'])
export class SubscriberEntity {
  /** A UUID generated in code (portable: no database-side generator). */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'ipaas_company_id', type: 'varchar', length: 64 })
  ipaasCompanyId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** The default only fills rows that predate the column (they were all served companies). */
  @Column({ type: 'varchar', length: 24, default: 'active' })
  status!: SubscriberStatus;

  /** Why the status is what it is, when that is not obvious (`request denied`, `gone at iPaaS.com`). */
  @Column({ name: 'status_reason', type: 'varchar', length: 500, nullable: true })
  statusReason!: string | null;

  @Column({ name: 'health_status', type: 'varchar', length: 16, default: 'unknown' })
  healthStatus!: HealthStatus;

  @InstantColumn({ name: 'health_since', nullable: true })
  healthSince!: Date | null;

  /** The company's id in the MiSP's billing or CRM system. */
  @Column({ name: 'external_ref', type: 'varchar', length: 100, nullable: true })
  externalRef!: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  notes!: string | null;

  /** The vendor's subscriber request id (approve/deny act on it). */
  @Column({ name: 'vendor_request_id', type: 'integer', nullable: true })
  vendorRequestId!: number | null;

  /** When a sync first saw the company or last changed the row; null for companies only registered by hand. */
  @InstantColumn({ name: 'synced_at', nullable: true })
  syncedAt!: Date | null;

  /** Set when the vendor answered a monthly 429 for this company: no calls until then (or a manual reset). */
  @InstantColumn({ name: 'quota_exhausted_until', nullable: true })
  quotaExhaustedUntil!: Date | null;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}

/** A new registry row: active, health unknown, nothing else set unless `fields` says so. */
export function newSubscriberRow(
  id: string,
  now: Date,
  fields: Pick<SubscriberEntity, 'ipaasCompanyId' | 'name'> & Partial<SubscriberEntity>,
): SubscriberEntity {
  return Object.assign(new SubscriberEntity(), {
    id,
    status: 'active',
    statusReason: null,
    healthStatus: 'unknown',
    healthSince: null,
    externalRef: null,
    notes: null,
    vendorRequestId: null,
    syncedAt: null,
    quotaExhaustedUntil: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  } satisfies SubscriberEntity);
}
