import { isoAt } from '../clock';
import { err } from '../errors';
import type { PersistentDatum, SubscriptionRec } from '../state';
import { companyOf, type Handler, intParam, ok, paged, scalarText } from './context';

function listView(s: SubscriptionRec): Record<string, unknown> {
  return {
    id: s.id,
    type: s.type,
    name: s.name,
    description: s.description,
    value: s.name,
    attached_items_count: s.persistentData.size,
    image_url: null,
  };
}

/** GET /subscriptions/v2/Subscriptions */
export const listSubscriptions: Handler = (ctx) =>
  paged(ctx, ctx.state.subscriptions(companyOf(ctx)), listView);

/** GET /subscriptions/v2/Subscription/{id}?include=persistentdata */
export const getSubscription: Handler = (ctx) => {
  const s = ctx.state.subscription(companyOf(ctx), intParam(ctx, 'id'));
  const include = (ctx.query.include ?? '').toLowerCase().split(',');
  return ok({
    id: s.id,
    integration_id: s.integrationId,
    integration_version_id: s.integrationVersionId,
    name: s.name,
    webhook_api_key: s.webhookApiKey,
    tracking_guid: s.trackingGuid,
    settings: { ...s.settings },
    ...(include.includes('persistentdata')
      ? { persistent_data: [...s.persistentData.values()].map((p) => ({ ...p })) }
      : {}),
  });
};

/** POST /subscriptions/v2/Subscription/PersistentData/{id}: an upsert by name, returns the list sent. */
export const postPersistentData: Handler = (ctx) => {
  const id = intParam(ctx, 'id');
  const b = ctx.body;
  if (!Array.isArray(b)) {
    throw err.emptyRequest();
  }
  const items: PersistentDatum[] = b.map((raw, i) => {
    if (!raw || typeof raw !== 'object') {
      throw err.emptyRequest();
    }
    const o = raw as Record<string, unknown>;
    if (typeof o.name !== 'string' || !o.name.trim()) {
      throw err.required(`[${i}].name`);
    }
    const value = scalarText(o.value);
    const exp = o.expiration_date_time;
    if (exp !== undefined && exp !== null && (typeof exp !== 'string' || Number.isNaN(Date.parse(exp)))) {
      throw err.rule('VALD-1022', `[${i}].expiration_date_time must be an ISO-8601 date-time.`);
    }
    return { name: o.name, value, expiration_date_time: exp ?? null };
  });
  return ok(ctx.state.upsertPersistentData(companyOf(ctx), id, items));
};

/** GET /subscriptions/v2/Events (paged). Field names are provisional. */
export const listEvents: Handler = (ctx) =>
  paged(ctx, ctx.state.events(companyOf(ctx)), (e) => ({
    id: e.id,
    event_type: e.type,
    description: e.description,
    record_id: e.recordId,
    subscription_id: e.subscriptionId,
    tracking_guid: e.trackingGuid,
    created_date_time: isoAt(e.createdAt),
  }));
