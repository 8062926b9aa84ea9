import { isoAt } from '../clock';
import { err } from '../errors';
import { DESIGNATIONS, type TokenRec, type UserRec } from '../state';
import {
  bodyObject,
  guidParam,
  type Handler,
  intParam,
  ok,
  optString,
  paged,
  type RequestCtx,
} from './context';

function session(
  user: UserRec,
  access: TokenRec,
  refresh: string | null,
  expiresAt: number,
  permissions: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: user.id,
    name: `${user.firstName} ${user.lastName}`,
    email_address: user.email,
    access_token: access.token,
    access_token_expiration: isoAt(expiresAt),
    refresh_token: refresh,
    return_url: extra.return_url ?? null,
    permissions,
    tracking_guid: extra.tracking_guid ?? null,
  };
}

function permissionsView(ctx: RequestCtx, userId: number, companyId: string | null): Record<string, unknown> {
  if (!companyId) {
    return {};
  }
  return Object.fromEntries(ctx.state.effectivePermissions(userId, companyId).map((p) => [p, 'administer']));
}

/** POST /sso/v2/Auth/Login */
export const login: Handler = (ctx) => {
  const b = bodyObject(ctx);
  const email = typeof b.email_address === 'string' ? b.email_address.trim() : '';
  const password = typeof b.password === 'string' ? b.password : '';
  if (!email || !password) {
    throw err.loginFieldsMissing();
  }
  const user = ctx.state.userByEmail(email);
  if (!user || user.password === '' || user.password !== password) {
    throw err.badCredentials();
  }
  const issued = ctx.state.issueSession(user.id, null);
  return ok(
    session(
      user,
      issued.access,
      issued.refresh,
      issued.expiresAt,
      {},
      {
        return_url: optString(b, 'return_url') ?? null,
        tracking_guid: optString(b, 'tracking_guid') ?? null,
      },
    ),
  );
};

/** POST /sso/v2/Auth/Refresh */
export const refresh: Handler = (ctx) => {
  const b = bodyObject(ctx);
  const refreshToken = typeof b.refresh_token === 'string' ? b.refresh_token.trim() : '';
  const accessToken = typeof b.access_token === 'string' ? b.access_token.trim() : '';
  if (!refreshToken) {
    throw err.refreshMissing();
  }
  if (!accessToken) {
    throw err.required('access_token');
  }
  const r = ctx.state.refresh(accessToken.replace(/^Bearer\s+/i, ''), refreshToken);
  const user = ctx.state.users.get(r.access.userId as number) as UserRec;
  return ok(
    session(user, r.access, r.refresh, r.expiresAt, permissionsView(ctx, user.id, r.access.companyId)),
  );
};

/** GET /sso/v2/User/{id}/Companies: the flat array shape (post Aug 2024). */
export const userCompanies: Handler = (ctx) => {
  const id = intParam(ctx, 'id');
  if (ctx.auth?.userId !== id) {
    throw err.authNoAccess(`the companies of user ${id}`);
  }
  return paged(ctx, ctx.state.userCompanies(id), ({ company, userTypeId }) => ({
    id: company.id,
    name: company.name,
    logo: null,
    designation_id: company.designationId,
    user_type_id: userTypeId,
    designations: { [company.designationId]: DESIGNATIONS[company.designationId] },
  }));
};

/** GET /sso/v2/User/ChangeCompany/{companyId} */
export const changeCompany: Handler = (ctx) => {
  const raw = ctx.params.companyId ?? '';
  let companyId: string;
  try {
    companyId = guidParam(ctx, 'companyId');
  } catch {
    throw err.companyNotFound(raw);
  }
  const userId = ctx.auth?.userId;
  if (userId === null || userId === undefined) {
    throw err.authNoAccess();
  }
  if (!ctx.state.company(companyId) || !ctx.state.canAccess(userId, companyId)) {
    throw err.companyNotFound(raw);
  }
  const issued = ctx.state.issueSession(userId, companyId);
  const user = ctx.state.users.get(userId) as UserRec;
  return ok(
    session(user, issued.access, issued.refresh, issued.expiresAt, permissionsView(ctx, userId, companyId)),
  );
};
