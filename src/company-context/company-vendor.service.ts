import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { DomainEvents } from '../common/events/domain-events';
import { Clock } from '../common/time/clock';
import { IpaasClient, type VendorCall, type VendorResponse } from '../ipaas/ipaas-client';
import type { VendorOperation } from '../ipaas/vendor-endpoints';
import { VendorError } from '../ipaas/vendor-error';
import {
  type Subscriber,
  type SubscriberStatus,
  SubscribersService,
} from '../subscribers/subscribers.service';
import { CompanyTokensService } from './company-tokens.service';

export type CompanyCall<T> = Omit<VendorCall<T>, 'lane' | 'token' | 'subscriberId'>;

/** The first instant of the next calendar month (UTC): when the vendor's monthly allowance renews. */
export function startOfNextMonthUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/** What decides whether a company may be called at all, read once per company and kept until it changes. */
interface CallGate {
  status: SubscriberStatus;
  /** Epoch ms until which the company's monthly allowance is used up (0: not exhausted). */
  quotaExhaustedUntil: number;
}

/** How long a company's status and quota flag, once read, are trusted without reading them again. */
const GATE_TTL_MS = 5000;

/** The subscriber columns that decide whether it may be called. */
export type GateSource = Pick<Subscriber, 'id' | 'status' | 'quotaExhaustedUntil'>;

function gateOf(subscriber: GateSource): CallGate {
  return { status: subscriber.status, quotaExhaustedUntil: subscriber.quotaExhaustedUntil?.getTime() ?? 0 };
}

/**
 * Calls iPaaS.com as a subscriber company. On a 401 the token is renewed once and the call retried once; a
 * second 401 marks the credential invalid and stops all calls for that company. A monthly 429 flags the company
 * `quota exhausted` until the next month (or a manual reset) and is never retried. Suspended and offboarded
 * subscribers are refused before any call.
 */
@Injectable()
export class CompanyVendorService {
  /** Per company: the gate (or its pending read) and when it was read. */
  private readonly gates = new Map<string, { gate: CallGate | Promise<CallGate>; readAtMs: number }>();

  constructor(
    private readonly client: IpaasClient,
    private readonly tokens: CompanyTokensService,
    private readonly subscribers: SubscribersService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /**
   * `company` is the subscriber id, or its row when the caller has just read it (the row then stands in for
   * this service's own first read of the company).
   */
  async call<T>(
    company: string | GateSource,
    operation: VendorOperation,
    request: CompanyCall<T> = {},
  ): Promise<VendorResponse<T>> {
    const subscriberId = typeof company === 'string' ? company : company.id;
    await this.refuseWhenBlocked(company);
    const token = await this.tokens.forCompany(subscriberId);
    try {
      return await this.send(subscriberId, operation, request, token.value);
    } catch (error) {
      if (!(error instanceof VendorError) || error.kind !== 'auth') {
        throw error;
      }
      if (token.kind === 'api_key') {
        await this.tokens.invalidateCompany(subscriberId, `API key refused: ${error.message}`);
        throw new AppError(
          ErrorCode.CREDENTIAL_INVALID,
          `iPaaS.com refused the API key of subscriber ${subscriberId}`,
        );
      }
    }
    const renewed = await this.tokens.forCompany(subscriberId, { forceRenew: true });
    try {
      return await this.send(subscriberId, operation, request, renewed.value);
    } catch (error) {
      if (error instanceof VendorError && error.kind === 'auth') {
        await this.tokens.invalidateCompany(subscriberId, `Renewed token refused: ${error.message}`);
        throw new AppError(
          ErrorCode.CREDENTIAL_INVALID,
          `iPaaS.com refused a renewed token of subscriber ${subscriberId}; the credential is marked invalid`,
        );
      }
      throw error;
    }
  }

  /** Clears the monthly-quota flag (staff know the plan was raised, or the vendor reset it). */
  async resetQuota(subscriberId: string): Promise<void> {
    await this.subscribers.setQuotaExhaustedUntil(subscriberId, null);
    this.forget(subscriberId);
  }

  /** The company's status or quota flag changed in the database: read it again before the next call. */
  forget(subscriberId: string): void {
    this.gates.delete(subscriberId);
  }

  private async send<T>(
    subscriberId: string,
    operation: VendorOperation,
    request: CompanyCall<T>,
    token: string,
  ): Promise<VendorResponse<T>> {
    try {
      return await this.client.call<T>(operation, { ...request, lane: subscriberId, subscriberId, token });
    } catch (error) {
      if (error instanceof VendorError && error.kind === 'rate_limited_monthly') {
        const until = startOfNextMonthUtc(this.clock.now());
        await this.subscribers.setQuotaExhaustedUntil(subscriberId, until);
        this.forget(subscriberId);
        this.events.emit({ type: 'company_quota.exhausted', subscriberId, until });
      }
      throw error;
    }
  }

  private async refuseWhenBlocked(company: string | GateSource): Promise<void> {
    const subscriberId = typeof company === 'string' ? company : company.id;
    const now = this.clock.nowMs();
    let known = this.gates.get(subscriberId);
    // Another instance may have suspended the company or flagged its quota: a gate is trusted for a few
    // seconds only (this instance's own changes call forget() at once).
    if (known !== undefined && now - known.readAtMs > GATE_TTL_MS) {
      known = undefined;
    }
    if (known === undefined && typeof company !== 'string') {
      known = { gate: gateOf(company), readAtMs: now };
      this.gates.set(subscriberId, known);
    }
    if (known === undefined) {
      // Remember the pending read itself, so a burst of first calls reads the subscriber once, not per call.
      const read = this.subscribers
        .get(subscriberId)
        .then(gateOf)
        .catch((error: unknown) => {
          this.gates.delete(subscriberId);
          throw error;
        });
      known = { gate: read, readAtMs: now };
      this.gates.set(subscriberId, known);
    }
    const { status, quotaExhaustedUntil: until } = await known.gate;
    SubscribersService.refuseWhenHalted({ id: subscriberId, status });
    if (until > this.clock.nowMs()) {
      throw new AppError(
        ErrorCode.VENDOR_QUOTA_EXHAUSTED,
        `The monthly iPaaS.com call allowance of subscriber ${subscriberId} is used up until ${new Date(until).toISOString()}`,
        { extensions: { quotaExhaustedUntil: new Date(until).toISOString() } },
      );
    }
  }
}
