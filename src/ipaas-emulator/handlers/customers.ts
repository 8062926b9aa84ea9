import { err } from '../errors';
import type { CustomerRec, CustomField, ExternalId } from '../state';
import {
  bodyObject,
  companyOf,
  created,
  type Handler,
  intParam,
  noContent,
  ok,
  optString,
  paged,
  reqString,
  scalarText,
} from './context';

/** Filterable query fields (PascalCase as in `?action=equals&EmailAddress=`) and the record field they test. */
const FILTERS: Record<string, (c: CustomerRec) => string | null> = {
  emailaddress: (c) => c.email,
  firstname: (c) => c.firstName,
  lastname: (c) => c.lastName,
  company: (c) => c.company,
  phonenumber: (c) => c.phone,
};
const NOT_FILTERS = new Set(['action', 'pagenumber', 'pagesize', 'trackingguid', 'include', 'sortby']);

/** GET /customers/v2/Customers[?action=equals|contains&EmailAddress=...] */
export const listCustomers: Handler = (ctx) => {
  let all = ctx.state.customers(companyOf(ctx));
  const action = (ctx.query.action ?? '').toLowerCase();
  if (action && action !== 'equals' && action !== 'contains') {
    throw err.notAllowed('action', ['equals', 'contains']);
  }
  for (const [key, raw] of Object.entries(ctx.query)) {
    const k = key.toLowerCase();
    if (NOT_FILTERS.has(k)) {
      continue;
    }
    const get = FILTERS[k];
    if (!get) {
      if (action) {
        throw err.notAllowed('filter field', Object.keys(FILTERS));
      }
      continue;
    }
    const want = raw.toLowerCase();
    all = all.filter((c) => {
      const v = (get(c) ?? '').toLowerCase();
      return action === 'contains' ? v.includes(want) : v === want;
    });
  }
  return paged(ctx, all, (c) => ctx.state.customerView(c));
};

export const getCustomer: Handler = (ctx) =>
  ok(ctx.state.customerView(ctx.state.customer(companyOf(ctx), intParam(ctx, 'id'))));

function externalIds(v: unknown): ExternalId[] | undefined {
  if (v === undefined || v === null) {
    return undefined;
  }
  if (!Array.isArray(v)) {
    throw err.rule('VALD-1022', 'external_ids must be a list.');
  }
  return v.map((raw, i) => {
    const o = (raw ?? {}) as Record<string, unknown>;
    if (!Number.isInteger(o.system_id) || (o.system_id as number) <= 0) {
      throw err.required(`external_ids[${i}].system_id`);
    }
    if (typeof o.external_id !== 'string' || !o.external_id) {
      throw err.required(`external_ids[${i}].external_id`);
    }
    return { id: i + 1, system_id: o.system_id as number, external_id: o.external_id, internal_id: 0 };
  });
}

function customFields(v: unknown): CustomField[] | undefined {
  if (v === undefined || v === null) {
    return undefined;
  }
  if (!Array.isArray(v)) {
    throw err.rule('VALD-1022', 'custom_fields must be a list.');
  }
  return v.map((raw, i) => {
    const o = (raw ?? {}) as Record<string, unknown>;
    if (typeof o.custom_field_name !== 'string' || !o.custom_field_name) {
      throw err.required(`custom_fields[${i}].custom_field_name`);
    }
    return {
      id: i + 1,
      type: typeof o.type === 'string' ? o.type : 'string',
      custom_field_name: o.custom_field_name,
      value: scalarText(o.value),
    };
  });
}

function email(b: Record<string, unknown>, required: boolean): string | undefined {
  const e = optString(b, 'email_address');
  if (e === undefined || !e.trim()) {
    if (required) {
      throw err.emailMissing();
    }
    return undefined;
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(e.trim())) {
    throw err.rule('VALD-1006', 'email_address is not valid.');
  }
  return e.trim().toLowerCase();
}

export const createCustomer: Handler = (ctx) => {
  const b = bodyObject(ctx);
  const rec = ctx.state.createCustomer(companyOf(ctx), {
    email: email(b, true) as string,
    firstName: reqString(b, 'first_name'),
    lastName: reqString(b, 'last_name'),
    company: optString(b, 'company') ?? null,
    phone: optString(b, 'phone_number') ?? null,
    externalIds: externalIds(b.external_ids) ?? [],
    customFields: customFields(b.custom_fields) ?? [],
  });
  return created(ctx.state.customerView(rec));
};

export const updateCustomer: Handler = (ctx) => {
  const b = bodyObject(ctx);
  const patch: Partial<CustomerRec> = {};
  const e = email(b, false);
  if (e !== undefined) {
    patch.email = e;
  }
  const first = optString(b, 'first_name');
  if (first !== undefined) {
    patch.firstName = first;
  }
  const last = optString(b, 'last_name');
  if (last !== undefined) {
    patch.lastName = last;
  }
  if (b.company !== undefined) {
    patch.company = optString(b, 'company') ?? null;
  }
  if (b.phone_number !== undefined) {
    patch.phone = optString(b, 'phone_number') ?? null;
  }
  const ext = externalIds(b.external_ids);
  if (ext) {
    patch.externalIds = ext;
  }
  const cf = customFields(b.custom_fields);
  if (cf) {
    patch.customFields = cf;
  }
  return ok(ctx.state.customerView(ctx.state.updateCustomer(companyOf(ctx), intParam(ctx, 'id'), patch)));
};

export const deleteCustomer: Handler = (ctx) => {
  ctx.state.deleteCustomer(companyOf(ctx), intParam(ctx, 'id'));
  return noContent();
};
