import { isoAt } from '../clock';
import { err } from '../errors';
import type { ApiKeyRec } from '../state';
import {
  bodyObject,
  companyOf,
  created,
  type Handler,
  intParam,
  noContent,
  ok,
  optIntArray,
  optString,
  optStringArray,
  paged,
  reqString,
} from './context';

/** Provisional company users, roles and API keys (paths from section 13.3 of the API notes). */

export const listUsers: Handler = (ctx) => {
  const company = companyOf(ctx);
  return paged(ctx, ctx.state.listUsers(company), (id) => ctx.state.userView(company, id));
};

export const createUser: Handler = (ctx) => {
  const company = companyOf(ctx);
  const b = bodyObject(ctx);
  const email = optString(b, 'email_address');
  if (!email || !email.trim()) {
    throw err.emailMissing();
  }
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) {
    throw err.rule('VALD-1006', 'email_address is not valid.');
  }
  const id = ctx.state.createUser(company, {
    email: email.trim(),
    firstName: reqString(b, 'first_name'),
    lastName: reqString(b, 'last_name'),
    password: optString(b, 'password') ?? null,
    roleIds: optIntArray(b, 'role_ids') ?? [],
  });
  return created(ctx.state.userView(company, id));
};

export const getUser: Handler = (ctx) => ok(ctx.state.getUser(companyOf(ctx), intParam(ctx, 'id')));

export const updateUser: Handler = (ctx) => {
  const b = bodyObject(ctx);
  return ok(
    ctx.state.updateUser(companyOf(ctx), intParam(ctx, 'id'), {
      firstName: optString(b, 'first_name'),
      lastName: optString(b, 'last_name'),
      roleIds: optIntArray(b, 'role_ids'),
    }),
  );
};

export const deleteUser: Handler = (ctx) => {
  ctx.state.deleteUser(companyOf(ctx), intParam(ctx, 'id'));
  return noContent();
};

export const listRoles: Handler = (ctx) =>
  paged(ctx, ctx.state.listRoles(companyOf(ctx)), (r) => ctx.state.roleView(r));

export const createRole: Handler = (ctx) => {
  const b = bodyObject(ctx);
  const permissions = optStringArray(b, 'permissions');
  if (!permissions) {
    throw err.rule('VALD-1112', 'Permission list is null or empty.');
  }
  const role = ctx.state.createRole(
    companyOf(ctx),
    reqString(b, 'name'),
    optString(b, 'description') ?? '',
    permissions,
  );
  return created(ctx.state.roleView(role));
};

export const getRole: Handler = (ctx) =>
  ok(ctx.state.roleView(ctx.state.role(companyOf(ctx), intParam(ctx, 'id'))));

export const updateRole: Handler = (ctx) => {
  const b = bodyObject(ctx);
  const name = optString(b, 'name');
  if (name !== undefined && !name.trim()) {
    throw err.required('name');
  }
  const role = ctx.state.updateRole(companyOf(ctx), intParam(ctx, 'id'), {
    name,
    description: optString(b, 'description'),
    permissions: optStringArray(b, 'permissions'),
  });
  return ok(ctx.state.roleView(role));
};

export const deleteRole: Handler = (ctx) => {
  ctx.state.deleteRole(companyOf(ctx), intParam(ctx, 'id'));
  return noContent();
};

export const assignRole: Handler = (ctx) =>
  created(ctx.state.assignRole(companyOf(ctx), intParam(ctx, 'id'), intParam(ctx, 'userId')));

export const unassignRole: Handler = (ctx) => {
  ctx.state.unassignRole(companyOf(ctx), intParam(ctx, 'id'), intParam(ctx, 'userId'));
  return noContent();
};

const EXPIRY_CHOICES = [60, 90, 120];

function apiKeyView(k: ApiKeyRec, withSecret: boolean): Record<string, unknown> {
  return {
    id: k.id,
    company_id: k.companyId,
    name: k.name,
    ...(withSecret ? { api_key: k.key } : {}),
    expiration_date_time: k.expiresAt === null ? null : isoAt(k.expiresAt),
    created_date_time: isoAt(k.createdAt),
  };
}

export const listApiKeys: Handler = (ctx) => {
  const company = companyOf(ctx);
  const keys = [...(ctx.state.companyOrThrow(company).data?.apiKeys.values() ?? [])];
  return paged(ctx, keys, (k) => apiKeyView(k, false));
};

export const createApiKey: Handler = (ctx) => {
  if (ctx.auth?.cls !== 'company') {
    throw err.authNoAccess('API key management with an API key');
  }
  const b = bodyObject(ctx);
  const days = b.expiration_days ?? null;
  if (days !== null && !EXPIRY_CHOICES.includes(days as number)) {
    throw err.notAllowed('expiration_days', [...EXPIRY_CHOICES, 'null (never expires)']);
  }
  const rec = ctx.state.mintApiKey(companyOf(ctx), reqString(b, 'name'), days as number | null);
  return created(apiKeyView(rec, true));
};

export const deleteApiKey: Handler = (ctx) => {
  if (ctx.auth?.cls !== 'company') {
    throw err.authNoAccess('API key management with an API key');
  }
  ctx.state.deleteApiKey(companyOf(ctx), intParam(ctx, 'id'));
  return noContent();
};
