import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { DomainEvents } from '../common/events/domain-events';
import { Clock } from '../common/time/clock';
import { IpaasClient, type VendorCall, type VendorResponse } from '../ipaas/ipaas-client';
import type { VendorOperation } from '../ipaas/vendor-endpoints';
import { VendorError } from '../ipaas/vendor-error';
import { SubscribersService } from '../subscribers/subscribers.service';
import { CompanyTokensService } from './company-tokens.service';

export type CompanyCall<T> = Omit<VendorCall<T>, 'lane' | 'token' | 'subscriberId'>;

/** The first instant of the next calendar month (UTC): when the vendor's monthly allowance renews. */
export function startOfNextMonthUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/**
 * Calls iPaaS.com as a subscriber company. On a 401 the token is renewed once and the call retried once; a
 * second 401 marks the credential invalid and stops all calls for that company. A monthly 429 flags the company
 * `quota exhausted` until the next month (or a manual reset) and is never retried.
 */
@Injectable()
export class CompanyVendorService {
  /** Epoch ms until which the company's monthly allowance is used up (0: not exhausted), read once per company. */
  private readonly quotaExhaustedUntil = new Map<string, number | Promise<number>>();

  constructor(
    private readonly client: IpaasClient,
    private readonly tokens: CompanyTokensService,
    private readonly subscribers: SubscribersService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  async call<T>(
    subscriberId: string,
    operation: VendorOperation,
    request: CompanyCall<T> = {},
  ): Promise<VendorResponse<T>> {
    await this.refuseWhenQuotaExhausted(subscriberId);
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
    this.quotaExhaustedUntil.delete(subscriberId);
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
        this.quotaExhaustedUntil.set(subscriberId, until.getTime());
        await this.subscribers.setQuotaExhaustedUntil(subscriberId, until);
        this.events.emit({ type: 'company_quota.exhausted', subscriberId, until });
      }
      throw error;
    }
  }

  private async refuseWhenQuotaExhausted(subscriberId: string): Promise<void> {
    let known = this.quotaExhaustedUntil.get(subscriberId);
    if (known === undefined) {
      // Remember the pending read itself, so a burst of first calls reads the subscriber once, not per call.
      known = this.subscribers
        .get(subscriberId)
        .then((subscriber) => subscriber.quotaExhaustedUntil?.getTime() ?? 0)
        .catch((error: unknown) => {
          this.quotaExhaustedUntil.delete(subscriberId);
          throw error;
        });
      this.quotaExhaustedUntil.set(subscriberId, known);
    }
    const until = await known;
    if (until > this.clock.nowMs()) {
      throw new AppError(
        ErrorCode.VENDOR_QUOTA_EXHAUSTED,
        `The monthly iPaaS.com call allowance of subscriber ${subscriberId} is used up until ${new Date(until).toISOString()}`,
        { extensions: { quotaExhaustedUntil: new Date(until).toISOString() } },
      );
    }
  }
}
