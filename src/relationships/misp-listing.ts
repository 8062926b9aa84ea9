import { Injectable } from '@nestjs/common';

import { CompanyTokensService } from '../company-context/company-tokens.service';
import { hasDesignation } from '../company-context/vendor-wire.types';
import { Clock } from '../common/time/clock';
import { MispVendorService } from './misp-vendor.service';
import { isVendorMispSubscriber, isVendorRoleShare, isVendorSubscriberRequest } from './misp-wire.types';
import { VendorDirectory, type VendorSnapshot } from './sync-plan';

/**
 * How long a reading answers registrations without asking iPaaS.com again: a burst of webhook onboards or a
 * job and the check before it share one reading. Only a reading that lists every company asked about is
 * reused (a company that just sent its request is never refused on an older reading), and a failed reading
 * fails the registrations of that window without retrying.
 */
export const LISTING_REUSE_MS = 5_000;

/**
 * What iPaaS.com lists for the MiSP: subscriber requests, role shares, served subscribers and the companies
 * the MiSP user can access, each read in full (paged, at most 1,000 pages each, see src/ipaas/paginate.ts).
 * The sync and every registration read it here, so both judge a company the same way.
 */
@Injectable()
export class MispListing {
  private inFlight: Promise<VendorDirectory> | undefined;
  private last: { atMs: number; directory: VendorDirectory } | undefined;
  private lastFailure: { atMs: number; error: unknown } | undefined;

  constructor(
    private readonly misp: MispVendorService,
    private readonly tokens: CompanyTokensService,
    private readonly clock: Clock,
  ) {}

  /** A fresh reading of all four lists; concurrent callers share the one in flight. */
  read(): Promise<VendorDirectory> {
    if (this.inFlight === undefined) {
      this.inFlight = this.readAll().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** A reading that can judge `companyIds`: a recent one that lists them all, else a fresh one. */
  async directoryFor(companyIds: readonly string[]): Promise<VendorDirectory> {
    const nowMs = this.clock.nowMs();
    const last = this.last;
    if (
      last !== undefined &&
      nowMs - last.atMs <= LISTING_REUSE_MS &&
      companyIds.every((companyId) => last.directory.lists(companyId))
    ) {
      return last.directory;
    }
    const failure = this.lastFailure;
    if (failure !== undefined && nowMs - failure.atMs <= LISTING_REUSE_MS) {
      throw failure.error;
    }
    return this.read();
  }

  private async readAll(): Promise<VendorDirectory> {
    try {
      const [requests, roleShares, subscribers, companies] = await Promise.all([
        this.misp.list<unknown>('mispSubscriberRequests'),
        this.misp.list<unknown>('mispRoleShares'),
        this.misp.list<unknown>('mispSubscribers'),
        this.tokens.mispUserCompanies(),
      ]);
      const snapshot: VendorSnapshot = {
        requests: requests.filter(isVendorSubscriberRequest),
        roleShares: roleShares.filter(isVendorRoleShare),
        subscribers: subscribers.filter(isVendorMispSubscriber),
        accessible: companies.filter((company) => hasDesignation(company, 'Subscriber')),
      };
      const directory = new VendorDirectory(snapshot);
      this.last = { atMs: this.clock.nowMs(), directory };
      this.lastFailure = undefined;
      return directory;
    } catch (error) {
      this.lastFailure = { atMs: this.clock.nowMs(), error };
      throw error;
    }
  }
}
