import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { CompanyTokensService } from '../company-context/company-tokens.service';
import { CompanyVendorService } from '../company-context/company-vendor.service';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { DomainEvents } from '../common/events/domain-events';
import { AppConfig } from '../config/app-config';
import { CredentialsService } from '../credentials/credentials.service';
import { VendorError } from '../ipaas/vendor-error';
import {
  type StatusChange,
  type Subscriber,
  type SubscriberStatus,
  SubscribersService,
  type SubscriberView,
} from '../subscribers/subscribers.service';
import { MispListing } from './misp-listing';
import { MispVendorService } from './misp-vendor.service';
import { isVendorRoleShare, type VendorRoleShare } from './misp-wire.types';
import type { RoleShareRequestDto, SyncResultDto } from './relationships.dto';
import { DENIED_REASON, planSync } from './sync-plan';

const ROLE_SHARE_FROM: readonly SubscriberStatus[] = ['approved', 'role_share_pending', 'active'];
// A pending request is ended with deny, not offboard: removing a relationship that does not exist yet would
// leave the request standing, and the next sync would bring the company back.
const OFFBOARD_FROM: readonly SubscriberStatus[] = [
  'approved',
  'role_share_pending',
  'active',
  'suspended',
  'error',
  'unverified',
];
const OFFBOARDED_BY_STAFF = 'offboarded by staff';
// Beyond this many written rows a sync answers with counts only.
const MAX_REPORTED_IDS = 1000;

/**
 * True when iPaaS.com's answer to removing the subscriber says there is nothing to remove: "not found by
 * id" (404 with a vendor code), or VALD-1008 "id in the wrong format for the collection" (the company id is
 * the only thing the call names, so no company has it: a row registered before registrations were checked).
 * A 404 without a code is a missing route (these paths are provisional) and must not pass for a removal.
 */
function vendorSaysNoSuchRelationship(error: unknown): boolean {
  if (!(error instanceof VendorError) || error.details.vendorCode === undefined) {
    return false;
  }
  return (
    error.kind === 'not_found' || (error.kind === 'validation' && error.details.vendorCode === 'VALD-1008')
  );
}

/**
 * The MiSP relationship with each subscriber, driven from Tenantry: sync the registry with iPaaS.com, approve
 * or deny requests, request role shares, suspend and resume locally, offboard. Vendor calls come first; the
 * registry changes only once the vendor agreed, so a vendor fault leaves the local state as it was.
 */
@Injectable()
export class RelationshipsService {
  /** One sync at a time per instance: a second one would read the same lists and race the first's writes. */
  private syncRunning = false;

  constructor(
    private readonly subscribers: SubscribersService,
    private readonly misp: MispVendorService,
    private readonly listing: MispListing,
    private readonly tokens: CompanyTokensService,
    private readonly companyVendor: CompanyVendorService,
    private readonly credentials: CredentialsService,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
    @InjectPinoLogger(RelationshipsService.name) private readonly logger: PinoLogger,
  ) {}

  async sync(): Promise<SyncResultDto> {
    if (this.syncRunning) {
      throw new AppError(
        ErrorCode.SUBSCRIBER_SYNC_RUNNING,
        'A subscriber sync is already running; try again when it has finished',
      );
    }
    this.syncRunning = true;
    try {
      // The registry is read before the vendor: a staff action landing in between then fails the status
      // check of the write (its row is left alone) instead of being overwritten with an older vendor view.
      const local = await this.subscribers.listAll();
      const plan = planSync(await this.listing.read(), local);
      const { addedIds, changedIds } =
        plan.added.length + plan.updated.length + plan.gone.length === 0
          ? { addedIds: [], changedIds: new Set<string>() }
          : await this.subscribers.applySync(plan.added, [...plan.updated, ...plan.gone]);
      const updatedIds = plan.updated.map(({ id }) => id).filter((id) => changedIds.has(id));
      const goneIds = plan.gone.map(({ id }) => id).filter((id) => changedIds.has(id));
      for (const id of changedIds) {
        this.companyVendor.forget(id);
      }
      for (const id of goneIds) {
        this.tokens.invalidate(id);
      }
      const counts = {
        added: addedIds.length,
        updated: updatedIds.length,
        gone: goneIds.length,
        unchanged: plan.unchanged,
      };
      this.events.emit({ type: 'subscribers.synced', ...counts });
      this.logger.info({ sync: counts }, 'subscriber sync finished');
      const result: SyncResultDto = {
        ...counts,
        total: counts.added + counts.updated + counts.unchanged,
      };
      if (addedIds.length + changedIds.size <= MAX_REPORTED_IDS) {
        result.ids = { added: addedIds, updated: updatedIds, gone: goneIds };
      }
      return result;
    } finally {
      this.syncRunning = false;
    }
  }

  async approve(id: string): Promise<SubscriberView> {
    const requestId = this.pendingRequestId(await this.subscribers.get(id), 'approve');
    await this.misp.call('approveSubscriberRequest', { params: { id: requestId } });
    return this.changeStatus(id, ['requested'], 'approve', { to: 'approved' });
  }

  async deny(id: string): Promise<SubscriberView> {
    const requestId = this.pendingRequestId(await this.subscribers.get(id), 'deny');
    await this.misp.call('denySubscriberRequest', { params: { id: requestId } });
    return this.changeStatus(id, ['requested'], 'deny', { to: 'offboarded', reason: DENIED_REASON });
  }

  /** Asks the subscriber to share a role with the MiSP; it stays pending until the subscriber approves. */
  async requestRoleShare(id: string, input: RoleShareRequestDto): Promise<SubscriberView> {
    const roleId = input.roleId ?? this.config.misp.roleId;
    if (roleId === undefined) {
      throw AppError.validation([
        { field: 'roleId', message: 'roleId is required (IPAAS_MISP_ROLE_ID is not set)' },
      ]);
    }
    const subscriber = await this.subscribers.get(id);
    SubscribersService.requireStatus(subscriber, ROLE_SHARE_FROM, 'request a role share for');
    const companyId = subscriber.ipaasCompanyId.toLowerCase();
    await this.misp.call<unknown>('createRoleShare', {
      body: {
        subscriber_company_id: subscriber.ipaasCompanyId,
        role_id: roleId,
        purpose: input.purpose,
        duration_days: input.durationDays,
      },
      // Lets the client retry the POST after an ambiguous failure: did a pending share of the role appear?
      landedCheck: async () => {
        const pending = await this.misp.list<unknown>('mispRoleShares', { status: 'pending' });
        const share = pending.find(
          (item): item is VendorRoleShare =>
            isVendorRoleShare(item) &&
            item.subscriber_company_id.toLowerCase() === companyId &&
            item.role_id === roleId,
        );
        return share === undefined ? { landed: false } : { landed: true, value: share };
      },
    });
    if (subscriber.status === 'active') {
      // Another role for a company already served: the relationship stays active.
      return this.subscribers.view(id);
    }
    return this.changeStatus(id, ['approved', 'role_share_pending'], 'request a role share for', {
      to: 'role_share_pending',
    });
  }

  /** Local only: jobs, health checks and every vendor call leave the company alone until it is resumed. */
  suspend(id: string): Promise<SubscriberView> {
    return this.changeStatus(id, ['active'], 'suspend', { to: 'suspended' });
  }

  resume(id: string): Promise<SubscriberView> {
    return this.changeStatus(id, ['suspended'], 'resume', { to: 'active' });
  }

  /**
   * Ends the relationship at iPaaS.com (permanent there: role shares and access go too), then deletes the
   * company's credential and forgets its tokens. Repeating it only makes sure the credential is gone.
   */
  async offboard(id: string): Promise<SubscriberView> {
    const subscriber = await this.subscribers.get(id);
    if (subscriber.status !== 'offboarded') {
      SubscribersService.requireStatus(subscriber, OFFBOARD_FROM, 'offboard');
      await this.removeAtVendor(subscriber);
    }
    await this.deleteCredential(id);
    this.tokens.invalidate(id);
    if (subscriber.status === 'offboarded') {
      return this.subscribers.view(id);
    }
    // A concurrent offboard of the same company may have won: that is the same outcome, not a conflict.
    return this.changeStatus(id, [...OFFBOARD_FROM, 'offboarded'], 'offboard', {
      to: 'offboarded',
      reason: OFFBOARDED_BY_STAFF,
    });
  }

  private pendingRequestId(subscriber: Subscriber, operation: string): number {
    SubscribersService.requireStatus(subscriber, ['requested'], operation);
    if (subscriber.vendorRequestId === null) {
      throw new AppError(
        ErrorCode.SUBSCRIBER_STATE_CONFLICT,
        `Subscriber ${subscriber.id} has no iPaaS.com subscriber request id; run POST /v1/subscribers/sync`,
      );
    }
    return subscriber.vendorRequestId;
  }

  private async removeAtVendor(subscriber: Subscriber): Promise<void> {
    try {
      await this.misp.call('removeSubscriber', { params: { companyId: subscriber.ipaasCompanyId } });
    } catch (error) {
      // Not found means gone already, so every row can be retired (and then deleted).
      if (!vendorSaysNoSuchRelationship(error)) {
        throw error;
      }
      this.logger.info(
        { subscriberId: subscriber.id, vendorCode: (error as VendorError).details.vendorCode },
        'iPaaS.com has no relationship with the company: offboarded locally',
      );
    }
  }

  private async deleteCredential(id: string): Promise<void> {
    try {
      await this.credentials.deleteCredential(id);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== ErrorCode.NOT_FOUND) {
        throw error;
      }
    }
  }

  private async changeStatus(
    id: string,
    from: readonly SubscriberStatus[],
    operation: string,
    change: StatusChange,
  ): Promise<SubscriberView> {
    const view = await this.subscribers.changeStatus(id, from, operation, change);
    this.companyVendor.forget(id);
    return view;
  }
}
