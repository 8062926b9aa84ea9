import { Injectable } from '@nestjs/common';

import { CompanyTokensService, MISP_LANE } from '../company-context/company-tokens.service';
import { IpaasClient, type VendorCall, type VendorResponse } from '../ipaas/ipaas-client';
import { collectPages } from '../ipaas/paginate';
import type { VendorOperation } from '../ipaas/vendor-endpoints';
import { VendorError } from '../ipaas/vendor-error';

/**
 * Page size of lists read in full (the MiSP listing of a sync or a registration check, the health sweep's
 * subscriber list): a 10,000-subscriber MiSP is a few dozen calls instead of hundreds. A vendor that serves
 * fewer per page is followed by its X-Pagination all the same.
 */
export const FULL_LIST_PAGE_SIZE = 1000;

export type MispCall<T> = Omit<VendorCall<T>, 'lane' | 'token' | 'subscriberId'>;

/**
 * Calls iPaaS.com as the MiSP's own company (the MiSP/* routes), on the MiSP lane. On a 401 the MiSP company
 * token is renewed once and the call retried once; a second refusal is handed back.
 */
@Injectable()
export class MispVendorService {
  constructor(
    private readonly client: IpaasClient,
    private readonly tokens: CompanyTokensService,
  ) {}

  call<T>(operation: VendorOperation, request: MispCall<T> = {}): Promise<VendorResponse<T>> {
    return this.withToken((token) => this.client.call<T>(operation, { ...request, lane: MISP_LANE, token }));
  }

  /** Every item of a paged MiSP list, read in pages of FULL_LIST_PAGE_SIZE. */
  list<T>(operation: VendorOperation, query?: MispCall<T[]>['query']): Promise<T[]> {
    return this.withToken((token) =>
      collectPages(
        this.client.paginate<T>(
          operation,
          { lane: MISP_LANE, token, query },
          { pageSize: FULL_LIST_PAGE_SIZE },
        ),
      ),
    );
  }

  private async withToken<R>(work: (token: string) => Promise<R>): Promise<R> {
    const { token } = await this.tokens.forMispCompany();
    try {
      return await work(token);
    } catch (error) {
      if (!(error instanceof VendorError) || error.kind !== 'auth') {
        throw error;
      }
    }
    const renewed = await this.tokens.forMispCompany({ forceRenew: true });
    return work(renewed.token);
  }
}
