import * as companyAdmin from './handlers/company-admin';
import type { Handler } from './handlers/context';
import * as customers from './handlers/customers';
import * as hooks from './handlers/hooks';
import * as misp from './handlers/misp';
import * as sso from './handlers/sso';
import * as subs from './handlers/subscriptions';

/**
 * Every vendor path the emulator serves, in one table. `provisional: true` marks a path the vendor has not
 * published (section 12 of docs/shared ipaas-api.md lists them as unknown); change it here once the Swagger
 * is known. `source` says where the path comes from. Paths use find-my-way syntax (`:param`); routing is
 * case-insensitive like ASP.NET.
 *
 * auth:
 * - none: no Authorization header needed (Login, Refresh).
 * - user: a user token, or a company token obtained through ChangeCompany (it still names the user).
 * - company: a company token or an API key (a user token is refused with AUTH-1003).
 * - webhook: a subscription's webhook API key.
 */
export type AuthMode = 'none' | 'user' | 'company' | 'webhook';
export type ApiName = 'sso' | 'subscriptions' | 'customers' | 'hookapi';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  api: ApiName;
  auth: AuthMode;
  provisional: boolean;
  source: string;
  handler: Handler;
}

const CONFIRMED_DU = 'ipaas-com/iPaaS.Integration.DevelopmentUtility (iPaaSCallWrapper.cs)';
const S13_3 = 'provisional: section 13.3 suggestion';
const S13_4 = 'provisional: section 13.4 suggestion';

export const ROUTES: readonly RouteSpec[] = [
  // SSO: authentication (confirmed)
  {
    method: 'POST',
    path: '/sso/v2/Auth/Login',
    api: 'sso',
    auth: 'none',
    provisional: false,
    source: 'INTRO, ACCESS; DU Login',
    handler: sso.login,
  },
  {
    method: 'POST',
    path: '/sso/v2/Auth/Refresh',
    api: 'sso',
    auth: 'none',
    provisional: false,
    source: 'DU RefreshToken',
    handler: sso.refresh,
  },
  {
    method: 'GET',
    path: '/sso/v2/User/:id/Companies',
    api: 'sso',
    auth: 'user',
    provisional: false,
    source: 'INTRO step 2; DU Companies',
    handler: sso.userCompanies,
  },
  {
    method: 'GET',
    path: '/sso/v2/User/ChangeCompany/:companyId',
    api: 'sso',
    auth: 'user',
    provisional: false,
    source: 'INTRO step 3; DU ChangeCompany',
    handler: sso.changeCompany,
  },

  // SSO: company users, roles and API keys (provisional)
  {
    method: 'GET',
    path: '/sso/v2/Users',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.listUsers,
  },
  {
    method: 'POST',
    path: '/sso/v2/Users',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.createUser,
  },
  {
    method: 'GET',
    path: '/sso/v2/User/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.getUser,
  },
  {
    method: 'PUT',
    path: '/sso/v2/User/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.updateUser,
  },
  {
    method: 'DELETE',
    path: '/sso/v2/User/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.deleteUser,
  },
  {
    method: 'GET',
    path: '/sso/v2/Roles',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.listRoles,
  },
  {
    method: 'POST',
    path: '/sso/v2/Roles',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.createRole,
  },
  {
    method: 'GET',
    path: '/sso/v2/Role/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.getRole,
  },
  {
    method: 'PUT',
    path: '/sso/v2/Role/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.updateRole,
  },
  {
    method: 'DELETE',
    path: '/sso/v2/Role/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.deleteRole,
  },
  {
    method: 'POST',
    path: '/sso/v2/Role/:id/User/:userId',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.assignRole,
  },
  {
    method: 'DELETE',
    path: '/sso/v2/Role/:id/User/:userId',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_3,
    handler: companyAdmin.unassignRole,
  },
  {
    method: 'GET',
    path: '/sso/v2/ApiKeys',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: 'provisional: APIKEYS article (UI only)',
    handler: companyAdmin.listApiKeys,
  },
  {
    method: 'POST',
    path: '/sso/v2/ApiKeys',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: 'provisional: APIKEYS article (UI only)',
    handler: companyAdmin.createApiKey,
  },
  {
    method: 'DELETE',
    path: '/sso/v2/ApiKey/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: 'provisional: APIKEYS article (UI only)',
    handler: companyAdmin.deleteApiKey,
  },

  // SSO: MiSP side of the relationship lifecycle (provisional)
  {
    method: 'GET',
    path: '/sso/v2/MiSP/SubscriberRequests',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.listSubscriberRequests,
  },
  {
    method: 'PUT',
    path: '/sso/v2/MiSP/SubscriberRequest/:id/Approve',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.approveSubscriberRequest,
  },
  {
    method: 'PUT',
    path: '/sso/v2/MiSP/SubscriberRequest/:id/Deny',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.denySubscriberRequest,
  },
  {
    method: 'GET',
    path: '/sso/v2/MiSP/RoleShares',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.listRoleShares,
  },
  {
    method: 'POST',
    path: '/sso/v2/MiSP/RoleShares',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.createRoleShare,
  },
  {
    method: 'DELETE',
    path: '/sso/v2/MiSP/RoleShare/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.deleteRoleShare,
  },
  {
    method: 'GET',
    path: '/sso/v2/MiSP/Subscribers',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.listSubscribers,
  },
  {
    method: 'DELETE',
    path: '/sso/v2/MiSP/Subscriber/:companyId',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.removeSubscriber,
  },

  // SSO: subscriber side (provisional)
  {
    method: 'POST',
    path: '/sso/v2/Subscriber/MiSPRequest',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.requestMisp,
  },
  {
    method: 'GET',
    path: '/sso/v2/Subscriber/RoleShareRequests',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.listRoleShareRequests,
  },
  {
    method: 'PUT',
    path: '/sso/v2/Subscriber/RoleShareRequest/:id/Approve',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.approveRoleShareRequest,
  },
  {
    method: 'PUT',
    path: '/sso/v2/Subscriber/RoleShareRequest/:id/Deny',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.denyRoleShareRequest,
  },
  {
    method: 'DELETE',
    path: '/sso/v2/Subscriber/RoleShareRequest/:id',
    api: 'sso',
    auth: 'company',
    provisional: true,
    source: S13_4,
    handler: misp.deleteRoleShareRequest,
  },

  // Subscriptions API (confirmed paths; also served under the legacy /integrations base path)
  {
    method: 'GET',
    path: '/subscriptions/v2/Subscriptions',
    api: 'subscriptions',
    auth: 'company',
    provisional: false,
    source: CONFIRMED_DU,
    handler: subs.listSubscriptions,
  },
  {
    method: 'GET',
    path: '/subscriptions/v2/Subscription/:id',
    api: 'subscriptions',
    auth: 'company',
    provisional: false,
    source: CONFIRMED_DU,
    handler: subs.getSubscription,
  },
  {
    method: 'POST',
    path: '/subscriptions/v2/Subscription/PersistentData/:id',
    api: 'subscriptions',
    auth: 'company',
    provisional: false,
    source: CONFIRMED_DU,
    handler: subs.postPersistentData,
  },
  {
    method: 'GET',
    path: '/subscriptions/v2/Events',
    api: 'subscriptions',
    auth: 'company',
    provisional: false,
    source: 'INTRO curl example (item fields provisional)',
    handler: subs.listEvents,
  },

  // Customers API
  {
    method: 'GET',
    path: '/customers/v2/Customers',
    api: 'customers',
    auth: 'company',
    provisional: false,
    source: 'ipaas-com/iPaaS.Integration.Template',
    handler: customers.listCustomers,
  },
  {
    method: 'GET',
    path: '/customers/v2/Customer/:id',
    api: 'customers',
    auth: 'company',
    provisional: false,
    source: 'ipaas-com/iPaaS.Integration.Template',
    handler: customers.getCustomer,
  },
  {
    method: 'POST',
    path: '/customers/v2/Customer',
    api: 'customers',
    auth: 'company',
    provisional: true,
    source: 'provisional: REST convention (INTRO)',
    handler: customers.createCustomer,
  },
  {
    method: 'PUT',
    path: '/customers/v2/Customer/:id',
    api: 'customers',
    auth: 'company',
    provisional: true,
    source: 'provisional: REST convention (INTRO)',
    handler: customers.updateCustomer,
  },
  {
    method: 'DELETE',
    path: '/customers/v2/Customer/:id',
    api: 'customers',
    auth: 'company',
    provisional: true,
    source: 'provisional: REST convention (INTRO)',
    handler: customers.deleteCustomer,
  },

  // Hook API (inbound webhooks)
  {
    method: 'POST',
    path: '/hookapi/v2/iPaaS',
    api: 'hookapi',
    auth: 'webhook',
    provisional: false,
    source: 'DU HookController SendHook',
    handler: hooks.hookIpaas,
  },
  {
    method: 'POST',
    path: '/hookapi/v2/IntegrationDevelopmentUtility',
    api: 'hookapi',
    auth: 'webhook',
    provisional: false,
    source: 'DU HookController SendHook',
    handler: hooks.hookDevUtility,
  },
];

/** Base-path aliases: `/integrations` is the pre-2022 name of the Subscriptions API. */
export const BASE_PATH_ALIASES: Readonly<Record<string, string>> = { '/subscriptions': '/integrations' };

/** The table with aliases expanded: what the router registers. */
export function expandedRoutes(): RouteSpec[] {
  const out: RouteSpec[] = [];
  for (const r of ROUTES) {
    out.push(r);
    for (const [base, alias] of Object.entries(BASE_PATH_ALIASES)) {
      if (r.path.startsWith(`${base}/`)) {
        out.push({ ...r, path: alias + r.path.slice(base.length) });
      }
    }
  }
  return out;
}
