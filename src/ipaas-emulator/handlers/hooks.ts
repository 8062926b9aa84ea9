import { err } from '../errors';
import type { Handler, RequestCtx } from './context';

function hook(endpoint: string, ctx: RequestCtx) {
  const b = ctx.body;
  if (!b || typeof b !== 'object' || Array.isArray(b)) {
    throw err.invalidHook('body must be a JSON object');
  }
  const n = (b as Record<string, unknown>).notifications;
  if (!Array.isArray(n) || n.length === 0) {
    throw err.invalidHook('notifications must be a non-empty list');
  }
  n.forEach((x, i) => {
    if (!x || typeof x !== 'object' || typeof (x as Record<string, unknown>).scope !== 'string') {
      throw err.invalidHook(`notifications[${i}].scope is required`);
    }
  });
  const cid = ctx.headers['x-correlation-id'];
  ctx.recordHook({
    endpoint,
    subscriptionId: ctx.auth?.subscriptionId ?? null,
    companyId: ctx.auth?.companyId ?? null,
    correlationId: typeof cid === 'string' ? cid : null,
    body: b,
  });
  return { status: 202 };
}

/** POST /hookapi/v2/iPaaS (from-iPaaS direction) */
export const hookIpaas: Handler = (ctx) => hook('iPaaS', ctx);
/** POST /hookapi/v2/IntegrationDevelopmentUtility (to-iPaaS direction) */
export const hookDevUtility: Handler = (ctx) => hook('IntegrationDevelopmentUtility', ctx);
