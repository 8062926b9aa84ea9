import type { VendorUserCompany } from '../company-context/vendor-wire.types';
import type {
  Subscriber,
  SubscriberStatus,
  SyncedFields,
  SyncUpdate,
} from '../subscribers/subscribers.service';
import type { VendorMispSubscriber, VendorRoleShare, VendorSubscriberRequest } from './misp-wire.types';

export const GONE_REASON = 'gone at iPaaS.com';
export const DENIED_REASON = 'request denied';

const MAX_NAME_LENGTH = 200;
// The registry's company id format: anything else cannot be stored and is left out.
const COMPANY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** What iPaaS.com lists for the MiSP, already read in full. */
export interface VendorSnapshot {
  requests: readonly VendorSubscriberRequest[];
  roleShares: readonly VendorRoleShare[];
  subscribers: readonly VendorMispSubscriber[];
  /** Subscriber-designated companies the MiSP user can access. */
  accessible: readonly VendorUserCompany[];
}

export type LocalSubscriber = Pick<
  Subscriber,
  'id' | 'ipaasCompanyId' | 'name' | 'status' | 'statusReason' | 'vendorRequestId' | 'syncedAt'
>;

export interface SyncPlan {
  added: (SyncedFields & { ipaasCompanyId: string })[];
  updated: SyncUpdate[];
  /** In the registry, not listed by the vendor: offboarded with GONE_REASON. */
  gone: SyncUpdate[];
  unchanged: number;
}

/** Everything the vendor lists about one company. */
interface CompanyFacts {
  companyId: string;
  names: string[];
  served: boolean;
  accessible: boolean;
  activeShares: number;
  pendingShares: number;
  newestRequest: VendorSubscriberRequest | undefined;
}

function gatherFacts(vendor: VendorSnapshot): Map<string, CompanyFacts> {
  const facts = new Map<string, CompanyFacts>();
  const about = (companyId: string, name: string | null | undefined): CompanyFacts | undefined => {
    if (!COMPANY_ID.test(companyId)) {
      return undefined;
    }
    const key = companyId.toLowerCase();
    let entry = facts.get(key);
    if (entry === undefined) {
      entry = {
        companyId,
        names: [],
        served: false,
        accessible: false,
        activeShares: 0,
        pendingShares: 0,
        newestRequest: undefined,
      };
      facts.set(key, entry);
    }
    const trimmed = name?.trim();
    if (trimmed) {
      entry.names.push(trimmed);
    }
    return entry;
  };
  for (const subscriber of vendor.subscribers) {
    const entry = about(subscriber.company_id, subscriber.name);
    if (entry !== undefined) {
      entry.served = true;
      entry.activeShares = Math.max(entry.activeShares, subscriber.active_role_shares ?? 0);
    }
  }
  for (const company of vendor.accessible) {
    const entry = about(company.id, company.name);
    if (entry !== undefined) {
      entry.accessible = true;
    }
  }
  const listedActive = new Map<CompanyFacts, number>();
  for (const share of vendor.roleShares) {
    const entry = about(share.subscriber_company_id, share.subscriber_company_name);
    if (entry !== undefined && share.status === 'active') {
      listedActive.set(entry, (listedActive.get(entry) ?? 0) + 1);
    } else if (entry !== undefined && share.status === 'pending') {
      entry.pendingShares += 1;
    }
  }
  for (const [entry, count] of listedActive) {
    entry.activeShares = Math.max(entry.activeShares, count);
  }
  for (const request of vendor.requests) {
    const entry = about(request.subscriber_company_id, request.subscriber_company_name);
    if (entry !== undefined && (entry.newestRequest === undefined || request.id > entry.newestRequest.id)) {
      entry.newestRequest = request;
    }
  }
  return facts;
}

/**
 * Where the vendor says the relationship stands, or undefined when it no longer lists the company (no
 * relationship, no pending or denied request: e.g. removed, which leaves an approved request behind).
 */
function vendorFields(facts: CompanyFacts): SyncedFields | undefined {
  const request = facts.newestRequest;
  const name = (facts.names[0] ?? facts.companyId).slice(0, MAX_NAME_LENGTH);
  const fields = (status: SubscriberStatus, statusReason: string | null = null): SyncedFields => ({
    name,
    status,
    statusReason,
    vendorRequestId: request?.id ?? null,
  });
  if (facts.activeShares > 0 || facts.accessible) {
    return fields('active');
  }
  if (facts.pendingShares > 0) {
    return fields('role_share_pending');
  }
  if (facts.served) {
    return fields('approved');
  }
  if (request?.status === 'pending') {
    return fields('requested');
  }
  if (request?.status === 'denied') {
    return fields('offboarded', DENIED_REASON);
  }
  return undefined;
}

/**
 * Local states win where the vendor has no say: a suspended subscriber stays suspended (its name and request
 * id follow the vendor) unless the vendor ended the relationship; an offboarded one the vendor also
 * considers ended keeps its own reason.
 */
function merge(local: LocalSubscriber, vendor: SyncedFields): SyncedFields {
  const kept = { ...vendor, vendorRequestId: vendor.vendorRequestId ?? local.vendorRequestId };
  if (local.status === 'suspended' && vendor.status !== 'offboarded') {
    return { ...kept, status: 'suspended', statusReason: local.statusReason };
  }
  if (local.status === 'offboarded' && vendor.status === 'offboarded') {
    return { ...kept, status: 'offboarded', statusReason: local.statusReason };
  }
  return kept;
}

function sameFields(local: LocalSubscriber, fields: SyncedFields): boolean {
  return (
    local.name === fields.name &&
    local.status === fields.status &&
    local.statusReason === fields.statusReason &&
    local.vendorRequestId === fields.vendorRequestId
  );
}

/** Where iPaaS.com says the relationship with each company it lists stands (the sync's own reading). */
export class VendorDirectory {
  private readonly byCompany = new Map<string, { companyId: string; fields: SyncedFields }>();

  constructor(vendor: VendorSnapshot) {
    for (const [key, companyFacts] of gatherFacts(vendor)) {
      const fields = vendorFields(companyFacts);
      if (fields !== undefined) {
        this.byCompany.set(key, { companyId: companyFacts.companyId, fields });
      }
    }
  }

  /** The vendor's view of the company (ids compare case-insensitively); undefined when it is not listed. */
  fieldsOf(companyId: string): SyncedFields | undefined {
    return this.byCompany.get(companyId.toLowerCase())?.fields;
  }

  /**
   * True when the MiSP serves the company or has a request from it (in any stage up to active); a company
   * whose only request was denied, or that is not listed at all, cannot be registered.
   */
  lists(companyId: string): boolean {
    const fields = this.fieldsOf(companyId);
    return fields !== undefined && fields.status !== 'offboarded';
  }

  entries(): IterableIterator<[string, { companyId: string; fields: SyncedFields }]> {
    return this.byCompany.entries();
  }
}

/**
 * The sync as a pure function: compares what iPaaS.com lists with the registry and says what to write. A row
 * whose fields already agree (and that a sync has seen before) is left alone, so a repeated sync writes nothing.
 * Every row the vendor does not list is gone, registered by hand, by a job or by a webhook included (an
 * `unverified` row that iPaaS.com never listed ends here too); denied requests of companies Tenantry never knew
 * are not the sync's business.
 */
export function planSync(
  vendor: VendorSnapshot | VendorDirectory,
  local: readonly LocalSubscriber[],
): SyncPlan {
  const plan: SyncPlan = { added: [], updated: [], gone: [], unchanged: 0 };
  const directory = vendor instanceof VendorDirectory ? vendor : new VendorDirectory(vendor);
  const listed = new Set<string>();
  const byCompany = new Map(local.map((row) => [row.ipaasCompanyId.toLowerCase(), row]));
  for (const [key, { companyId, fields }] of directory.entries()) {
    const row = byCompany.get(key);
    if (row === undefined) {
      if (fields.status !== 'offboarded') {
        plan.added.push({ ipaasCompanyId: companyId, ...fields });
      }
      continue;
    }
    listed.add(row.id);
    const merged = merge(row, fields);
    if (row.syncedAt !== null && sameFields(row, merged)) {
      plan.unchanged += 1;
    } else {
      plan.updated.push({ id: row.id, previousStatus: row.status, fields: merged });
    }
  }
  for (const row of local) {
    if (!listed.has(row.id) && row.status !== 'offboarded') {
      plan.gone.push({
        id: row.id,
        previousStatus: row.status,
        fields: {
          name: row.name,
          status: 'offboarded',
          statusReason: GONE_REASON,
          vendorRequestId: row.vendorRequestId,
        },
      });
    }
  }
  return plan;
}
