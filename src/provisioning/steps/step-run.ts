import type { CompanyCall } from '../../company-context/company-vendor.service';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { VendorResponse } from '../../ipaas/ipaas-client';
import { collectPages, paginate } from '../../ipaas/paginate';
import { VENDOR_ENDPOINTS, type VendorOperation } from '../../ipaas/vendor-endpoints';
import { VendorError } from '../../ipaas/vendor-error';
import type { MispCall } from '../../relationships/misp-vendor.service';
import type { Subscriber, SubscriberStatus } from '../../subscribers/subscribers.service';
import { StepReadCache } from './step-read-cache';
import type { StepServices } from './step-services';

/** Items per page of a vendor list read (the client's default; the emulator allows up to 1000). */
const LIST_PAGE_SIZE = 100;

type ListQuery = Record<string, string | number | undefined>;

/**
 * The vendor calls of one step (or one company's plan) for one subscriber: counts every HTTP attempt and
 * shares list reads through the attempt's cache.
 */
export class StepRun {
  /** HTTP attempts made (retries included; the company token mint is not a step's call). */
  calls = 0;

  constructor(
    readonly subscriber: Subscriber,
    private readonly services: StepServices,
    private readonly cache: StepReadCache = new StepReadCache(),
    /** Awaited right before every vendor write is sent (the item's lease check); throws to abandon it. */
    private readonly beforeWrite?: () => Promise<void>,
  ) {}

  /** A read shared by the steps of this attempt (keyed per company, so one cache can never mix two). */
  cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    return this.cache.get(`${this.subscriber.id}|${key}`, read);
  }

  /**
   * Forgets every read shared so far: the vendor answered a create "already exists" for something those reads
   * did not show, so none of them can be trusted any more; the next cached read goes to the vendor again.
   */
  forgetReads(): void {
    this.cache.clear();
  }

  company<T>(operation: VendorOperation, request: CompanyCall<T> = {}): Promise<T> {
    return this.counted(
      this.services.companyVendor.call<T>(this.subscriber.id, operation, this.guarded(operation, request)),
    );
  }

  companyList<T>(operation: VendorOperation, query: ListQuery = {}): Promise<T[]> {
    return this.list(operation, (pageQuery) =>
      this.services.companyVendor.call<T[]>(this.subscriber.id, operation, {
        query: { ...query, ...pageQuery },
      }),
    );
  }

  /** A call as the MiSP's own company (the MiSP/* routes). */
  asMisp<T>(operation: VendorOperation, request: MispCall<T> = {}): Promise<T> {
    return this.counted(this.services.misp.call<T>(operation, this.guarded(operation, request)));
  }

  mispList<T>(operation: VendorOperation, query: ListQuery = {}): Promise<T[]> {
    return this.list(operation, (pageQuery) =>
      this.services.misp.call<T[]>(operation, { query: { ...query, ...pageQuery } }),
    );
  }

  /**
   * Keeps the registry in step with a relationship change made at the vendor (like the relationship routes
   * do): moves the row from one of `from` to `to`. A row another action moved meanwhile is left alone, the next
   * sync settles it. The attempt's own view of the row follows, so later steps of the item see the new status.
   */
  async advanceStatus(
    from: SubscriberStatus | readonly SubscriberStatus[],
    to: SubscriberStatus,
    operation: string,
  ): Promise<void> {
    const states = typeof from === 'string' ? [from] : from;
    if (!states.includes(this.subscriber.status)) {
      return;
    }
    try {
      await this.services.subscribers.changeStatus(this.subscriber.id, states, operation, { to });
      this.subscriber.status = to;
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== ErrorCode.SUBSCRIBER_STATE_CONFLICT) {
        throw error;
      }
    }
    this.services.companyVendor.forget(this.subscriber.id);
  }

  /** A write carries the before-write check; reads go as they are. */
  private guarded<R extends { beforeSend?: () => Promise<void> }>(operation: VendorOperation, request: R): R {
    if (this.beforeWrite === undefined || VENDOR_ENDPOINTS[operation].method === 'GET') {
      return request;
    }
    return { ...request, beforeSend: this.beforeWrite };
  }

  /** The call's data; its HTTP attempts are counted whether it succeeded or was refused. */
  private async counted<T>(call: Promise<VendorResponse<T>>): Promise<T> {
    try {
      const response = await call;
      this.calls += response.attempts;
      return response.data;
    } catch (error) {
      if (error instanceof VendorError) {
        this.calls += error.details.attempts ?? 0;
      }
      throw error;
    }
  }

  private list<T>(
    operation: VendorOperation,
    fetchPage: (query: { pageNumber: number; pageSize: number }) => Promise<VendorResponse<T[]>>,
  ): Promise<T[]> {
    return collectPages(
      paginate<T>(
        async (pageNumber) => {
          const response = await fetchPage({ pageNumber, pageSize: LIST_PAGE_SIZE });
          this.calls += response.attempts;
          if (!Array.isArray(response.data)) {
            throw new VendorError('protocol', 'Expected a JSON array from a list endpoint', { operation });
          }
          return { items: response.data, pagination: response.pagination };
        },
        { operation },
      ),
    );
  }
}
