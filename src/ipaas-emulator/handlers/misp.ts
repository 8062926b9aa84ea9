import { isoAt } from '../clock';
import { err } from '../errors';
import type { RequestStatus, RoleShareStatus } from '../state';
import {
  bodyObject,
  companyOf,
  created,
  guidParam,
  type Handler,
  intParam,
  isGuid,
  noContent,
  ok,
  optString,
  paged,
  type RequestCtx,
  statusFilter,
} from './context';

/** Provisional MiSP lifecycle (paths from section 13.4 of the API notes; semantics from MISP-URM/-ROLES/-SHARE). */

function mispOf(ctx: RequestCtx): string {
  const id = companyOf(ctx);
  if (!ctx.state.isMisp(id)) {
    throw err.authNoAccess('the MiSP API (the company is not a MiSP)');
  }
  return id;
}

const REQUEST_STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'denied'];
const SHARE_STATUSES: readonly RoleShareStatus[] = ['pending', 'active', 'denied'];

export const listSubscriberRequests: Handler = (ctx) => {
  const misp = mispOf(ctx);
  const status = statusFilter(ctx, REQUEST_STATUSES);
  const all = [...ctx.state.subscriberRequests.values()].filter(
    (r) => r.mispId === misp && (status === null || r.status === status),
  );
  return paged(ctx, all, (r) => ctx.state.subscriberRequestView(r));
};

export const approveSubscriberRequest: Handler = (ctx) =>
  ok(
    ctx.state.subscriberRequestView(
      ctx.state.decideSubscriberRequest(mispOf(ctx), intParam(ctx, 'id'), true),
    ),
  );

export const denySubscriberRequest: Handler = (ctx) =>
  ok(
    ctx.state.subscriberRequestView(
      ctx.state.decideSubscriberRequest(mispOf(ctx), intParam(ctx, 'id'), false),
    ),
  );

export const listRoleShares: Handler = (ctx) => {
  const misp = mispOf(ctx);
  const status = statusFilter(ctx, SHARE_STATUSES);
  const all = [...ctx.state.roleShares.values()].filter(
    (s) => s.mispId === misp && (status === null || s.status === status),
  );
  return paged(ctx, all, (s) => ctx.state.roleShareView(s));
};

export const createRoleShare: Handler = (ctx) => {
  const misp = mispOf(ctx);
  const b = bodyObject(ctx);
  const sub = b.subscriber_company_id;
  if (sub === undefined || sub === null || sub === '') {
    throw err.required('subscriber_company_id');
  }
  if (!isGuid(sub)) {
    throw err.idFormat('subscriber_company_id');
  }
  const roleId = b.role_id;
  if (roleId === undefined || roleId === null) {
    throw err.required('role_id');
  }
  if (!Number.isInteger(roleId) || (roleId as number) <= 0) {
    throw err.idNotInteger('role_id');
  }
  const duration = b.duration_days;
  if (
    duration !== undefined &&
    duration !== null &&
    !(Number.isInteger(duration) && (duration as number) > 0)
  ) {
    throw err.outOfRange('duration_days');
  }
  const share = ctx.state.createRoleShare(
    misp,
    sub.toLowerCase(),
    roleId as number,
    optString(b, 'purpose') ?? null,
    (duration as number | undefined) ?? null,
  );
  return created(ctx.state.roleShareView(share));
};

export const deleteRoleShare: Handler = (ctx) => {
  ctx.state.deleteRoleShareAsMisp(mispOf(ctx), intParam(ctx, 'id'));
  return noContent();
};

export const listSubscribers: Handler = (ctx) => {
  const misp = mispOf(ctx);
  // Counted for the page's companies only (a 10,000-subscriber MiSP is read 100 per page).
  return paged(ctx, ctx.state.subscribersOf(misp), ({ company, since }) => ({
    company_id: company.id,
    name: company.name,
    since_date_time: isoAt(since),
    active_role_shares: ctx.state.activeShareCount(misp, company.id),
  }));
};

export const removeSubscriber: Handler = (ctx) => {
  ctx.state.removeSubscriber(mispOf(ctx), guidParam(ctx, 'companyId'));
  return noContent();
};

// ------------------------------------------------------------------ subscriber side

export const requestMisp: Handler = (ctx) => {
  const b = bodyObject(ctx);
  const misp = b.misp_company_id;
  if (misp === undefined || misp === null || misp === '') {
    throw err.required('misp_company_id');
  }
  if (!isGuid(misp)) {
    throw err.idFormat('misp_company_id');
  }
  return created(ctx.state.subscriberRequestView(ctx.state.requestMisp(companyOf(ctx), misp.toLowerCase())));
};

export const listRoleShareRequests: Handler = (ctx) => {
  const me = companyOf(ctx);
  const status = statusFilter(ctx, SHARE_STATUSES);
  const all = [...ctx.state.roleShares.values()].filter(
    (s) => s.subscriberId === me && (status === null || s.status === status),
  );
  return paged(ctx, all, (s) => ctx.state.roleShareView(s));
};

export const approveRoleShareRequest: Handler = (ctx) =>
  ok(ctx.state.roleShareView(ctx.state.decideRoleShare(companyOf(ctx), intParam(ctx, 'id'), true)));

export const denyRoleShareRequest: Handler = (ctx) =>
  ok(ctx.state.roleShareView(ctx.state.decideRoleShare(companyOf(ctx), intParam(ctx, 'id'), false)));

export const deleteRoleShareRequest: Handler = (ctx) => {
  ctx.state.deleteRoleShareAsSubscriber(companyOf(ctx), intParam(ctx, 'id'));
  return noContent();
};
