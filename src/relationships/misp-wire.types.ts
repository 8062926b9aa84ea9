/**
 * The MiSP lists as iPaaS.com sends them (snake_case; provisional paths, see ../shared/ipaas-api.md §13.4).
 * Only the fields the sync reads are declared; items without them are skipped by the guards below.
 */
export interface VendorSubscriberRequest {
  id: number;
  subscriber_company_id: string;
  subscriber_company_name?: string | null;
  /** pending, approved or denied. */
  status: string;
}

export interface VendorRoleShare {
  id: number;
  subscriber_company_id: string;
  subscriber_company_name?: string | null;
  role_id?: number;
  /** pending, active or denied. */
  status: string;
}

/** A company the MiSP currently serves (`MiSP/Subscribers`). */
export interface VendorMispSubscriber {
  company_id: string;
  name?: string | null;
  active_role_shares?: number;
}

type Loose = Record<string, unknown>;

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null;
}

const hasCompanyAndStatus = (value: Loose): boolean =>
  Number.isInteger(value.id) &&
  typeof value.subscriber_company_id === 'string' &&
  typeof value.status === 'string';

export function isVendorSubscriberRequest(value: unknown): value is VendorSubscriberRequest {
  return isObject(value) && hasCompanyAndStatus(value);
}

export function isVendorRoleShare(value: unknown): value is VendorRoleShare {
  return isObject(value) && hasCompanyAndStatus(value);
}

export function isVendorMispSubscriber(value: unknown): value is VendorMispSubscriber {
  return isObject(value) && typeof value.company_id === 'string';
}
