import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { storage } from 'nestjs-pino/storage';

import { type DomainEvent, DomainEvents } from '../common/events/domain-events';
import { AuditService } from './audit.service';
import { type AuditEntry, SYSTEM_ACTOR } from './audit.types';

/**
 * The audit entry of a domain event: mutations not caused directly by a staff request, done by the system; null
 * for events audited where they happen.
 */
export function auditEntryOf(event: DomainEvent, requestId: string | null): AuditEntry | null {
  const common = { actor: SYSTEM_ACTOR, requestId, outcome: 'success' as const };
  switch (event.type) {
    case 'company_token.minted':
      return {
        ...common,
        action: 'company_token.minted',
        subscriberId: event.subscriberId,
        target: `ipaasCompanyId=${event.ipaasCompanyId}`,
        details: { via: event.via },
      };
    case 'company_credential.invalidated':
      return {
        ...common,
        action: 'company_credential.invalidated',
        subscriberId: event.subscriberId,
        details: { reason: event.reason },
      };
    case 'company_quota.exhausted':
      return {
        ...common,
        action: 'company_quota.exhausted',
        subscriberId: event.subscriberId,
        details: { until: event.until.toISOString() },
      };
    case 'misp_account.logged_in':
      return { ...common, action: 'misp_account.logged_in', details: { vendorUserId: event.vendorUserId } };
    case 'vendor_call.completed':
      return {
        ...common,
        action: `vendor.${event.operation}`,
        subscriberId: event.subscriberId,
        outcome: event.outcome,
        details: {
          method: event.method,
          status: event.status,
          vendorRequestId: event.vendorRequestId,
          error: event.error,
        },
      };
    case 'provisioning_job.ended':
    case 'provisioning_job.reopened':
      return null;
    case 'subscribers.synced':
      return {
        ...common,
        action: 'subscribers.sync',
        details: { added: event.added, updated: event.updated, gone: event.gone, unchanged: event.unchanged },
      };
  }
}

/**
 * The id of the HTTP request being served, when an event is emitted while serving one (nestjs-pino keeps the
 * request's logger, bound to its id, in async-local storage), so a token mint links to the request behind it.
 */
function currentRequestId(): string | null {
  const requestId: unknown = storage.getStore()?.logger.bindings().reqId;
  return typeof requestId === 'string' ? requestId : null;
}

/** Records domain events (token mints, vendor calls, syncs, …) in the audit trail. */
@Injectable()
export class AuditEventsListener implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(async (event) => {
      const entry = auditEntryOf(event, currentRequestId());
      if (entry !== null) {
        await this.audit.record(entry);
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}
