import { EventEmitter } from 'node:events';

import { Injectable } from '@nestjs/common';

/** Things that happened, for the audit trail (which subscribes) and metrics. Never carries a secret. */
export type DomainEvent =
  | {
      type: 'company_token.minted';
      subscriberId: string;
      ipaasCompanyId: string;
      via: 'change_company' | 'refresh';
    }
  | { type: 'company_credential.invalidated'; subscriberId: string; reason: string }
  | { type: 'company_quota.exhausted'; subscriberId: string; until: Date }
  | { type: 'misp_account.logged_in'; vendorUserId: number }
  | {
      /** A mutating iPaaS.com call (POST/PUT/DELETE other than Login/Refresh) finished, either way. */
      type: 'vendor_call.completed';
      operation: string;
      method: string;
      subscriberId: string | null;
      /** The HTTP status the vendor answered with; null when no answer came (timeout, reset). */
      status: number | null;
      outcome: 'success' | 'failure';
      vendorRequestId: string | null;
      error: string | null;
    }
  | {
      /**
       * A provisioning job's run ended (`state`: its end state), or a retry or resume reopened it (`reopened`).
       * Audited where it happens (JobLifecycle, the HTTP request); subscribers follow jobs they started.
       */
      type: 'provisioning_job.ended' | 'provisioning_job.reopened';
      jobId: string;
      state: string;
    }
  | {
      /** A registry sync with iPaaS.com finished; counts of what changed. */
      type: 'subscribers.synced';
      added: number;
      updated: number;
      gone: number;
      unchanged: number;
    };

/**
 * An in-process bus. Written by hand rather than adding @nestjs/event-emitter: one typed emit and one
 * subscribe are all that is needed, and listeners must not be able to break the emitter (errors are caught).
 */
@Injectable()
export class DomainEvents {
  private readonly emitter = new EventEmitter();

  emit(event: DomainEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: DomainEvent) => void | Promise<void>): () => void {
    const safe = (event: DomainEvent): void => {
      try {
        void Promise.resolve(listener(event)).catch(() => undefined);
      } catch {
        // A failing listener must not stop the emitter or the other listeners.
      }
    };
    this.emitter.on('event', safe);
    return () => this.emitter.off('event', safe);
  }
}
