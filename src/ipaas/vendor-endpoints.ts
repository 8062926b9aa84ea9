/**
 * Every iPaaS.com route Tenantry calls, in one table: base path (API), version, method, path template, which
 * token it needs, and whether the path is provisional (not published by the vendor; see docs/emulator.md and
 * ../shared/ipaas-api.md §12). When the vendor's Swagger settles a path, only this table changes.
 */
export type VendorApi = 'sso' | 'subscriptions' | 'customers' | 'hookapi';

/** none: Login/Refresh; user: the MiSP user token; company: a company token or API key. */
export type VendorAuth = 'none' | 'user' | 'company';

export interface VendorEndpoint {
  api: VendorApi;
  version: 'v1' | 'v2';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under `/{api}/{version}/`, with `{param}` placeholders. */
  path: string;
  auth: VendorAuth;
  provisional: boolean;
}

export const VENDOR_API_BASE_PATHS: Record<VendorApi, string> = {
  sso: '/sso',
  subscriptions: '/subscriptions',
  customers: '/customers',
  hookapi: '/hookapi',
};

const endpoint = (
  api: VendorApi,
  method: VendorEndpoint['method'],
  path: string,
  auth: VendorAuth,
  provisional = false,
): VendorEndpoint => ({ api, version: 'v2', method, path, auth, provisional });

export const VENDOR_ENDPOINTS = {
  // Confirmed by the vendor's introduction page and official tools.
  login: endpoint('sso', 'POST', 'Auth/Login', 'none'),
  refresh: endpoint('sso', 'POST', 'Auth/Refresh', 'none'),
  userCompanies: endpoint('sso', 'GET', 'User/{userId}/Companies', 'user'),
  changeCompany: endpoint('sso', 'GET', 'User/ChangeCompany/{companyId}', 'user'),
  listSubscriptions: endpoint('subscriptions', 'GET', 'Subscriptions', 'company'),
  getSubscription: endpoint('subscriptions', 'GET', 'Subscription/{id}', 'company'),
  savePersistentData: endpoint('subscriptions', 'POST', 'Subscription/PersistentData/{id}', 'company'),
  listEvents: endpoint('subscriptions', 'GET', 'Events', 'company'),
  getCustomer: endpoint('customers', 'GET', 'Customer/{id}', 'company'),
  listCustomers: endpoint('customers', 'GET', 'Customers', 'company'),
  // REST write paths of a confirmed resource: the shape follows the read paths.
  createCustomer: endpoint('customers', 'POST', 'Customer', 'company', true),
  updateCustomer: endpoint('customers', 'PUT', 'Customer/{id}', 'company', true),
  deleteCustomer: endpoint('customers', 'DELETE', 'Customer/{id}', 'company', true),
  // Company users and roles (provisioning): no published REST paths; these follow §13.3 of the API notes.
  // A user's roles are set with the user (`role_ids`), so Role/{id}/User/{userId} is not needed.
  listUsers: endpoint('sso', 'GET', 'Users', 'company', true),
  createUser: endpoint('sso', 'POST', 'Users', 'company', true),
  updateUser: endpoint('sso', 'PUT', 'User/{id}', 'company', true),
  listRoles: endpoint('sso', 'GET', 'Roles', 'company', true),
  createRole: endpoint('sso', 'POST', 'Roles', 'company', true),
  updateRole: endpoint('sso', 'PUT', 'Role/{id}', 'company', true),
  // The MiSP side of the relationship lifecycle, called with the MiSP company's own token. Semantics are
  // confirmed (subscriber requests, role shares, subscribers list); the paths are not published (§9, §13.4).
  mispSubscriberRequests: endpoint('sso', 'GET', 'MiSP/SubscriberRequests', 'company', true),
  approveSubscriberRequest: endpoint('sso', 'PUT', 'MiSP/SubscriberRequest/{id}/Approve', 'company', true),
  denySubscriberRequest: endpoint('sso', 'PUT', 'MiSP/SubscriberRequest/{id}/Deny', 'company', true),
  mispRoleShares: endpoint('sso', 'GET', 'MiSP/RoleShares', 'company', true),
  createRoleShare: endpoint('sso', 'POST', 'MiSP/RoleShares', 'company', true),
  deleteRoleShare: endpoint('sso', 'DELETE', 'MiSP/RoleShare/{id}', 'company', true),
  mispSubscribers: endpoint('sso', 'GET', 'MiSP/Subscribers', 'company', true),
  removeSubscriber: endpoint('sso', 'DELETE', 'MiSP/Subscriber/{companyId}', 'company', true),
} as const satisfies Record<string, VendorEndpoint>;

export type VendorOperation = keyof typeof VENDOR_ENDPOINTS;

/**
 * Vendor codes that answer a create with "it exists already" (duplicate detection, ../shared/ipaas-api.md §7:
 * BIZL-1001..1008, e.g. BIZL-1001 a user's email, BIZL-1003 an external id, BIZL-1006 a unique field).
 * Provisioning adopts the existing resource instead of failing.
 */
export const DUPLICATE_VENDOR_CODES: ReadonlySet<string> = new Set(
  Array.from({ length: 8 }, (_unused, index) => `BIZL-100${index + 1}`),
);

/** `/sso/v2/User/ChangeCompany/abc`: fills `{param}` placeholders, each URI-encoded. */
export function buildVendorPath(
  operation: VendorOperation,
  params: Record<string, string | number> = {},
): string {
  const spec: VendorEndpoint = VENDOR_ENDPOINTS[operation];
  const path = spec.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) {
      throw new Error(`Vendor path ${spec.path} needs ${name}`);
    }
    return encodeURIComponent(String(value));
  });
  return `${VENDOR_API_BASE_PATHS[spec.api]}/${spec.version}/${path}`;
}
