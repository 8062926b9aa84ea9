import type { IncomingHttpHeaders } from 'node:http';
import { err } from '../errors';
import { paginate, type PaginationOptions } from '../pagination';
import type { EmulatorState, HookRecord, TokenRec } from '../state';

export interface RequestCtx {
  state: EmulatorState;
  params: Record<string, string | undefined>;
  query: Record<string, string>;
  /** Parsed JSON body, or undefined when the request had none. */
  body: unknown;
  auth: TokenRec | null;
  headers: IncomingHttpHeaders;
  pagination: PaginationOptions;
  recordHook(rec: Omit<HookRecord, 'seq' | 'receivedAt'>): void;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestCtx) => HandlerResult;

export const ok = (body: unknown): HandlerResult => ({ status: 200, body });
export const created = (body: unknown): HandlerResult => ({ status: 201, body });
export const noContent = (): HandlerResult => ({ status: 204 });

export function paged<T>(ctx: RequestCtx, all: readonly T[], view: (item: T) => unknown): HandlerResult {
  const page = paginate(all, ctx.query, ctx.pagination);
  return { status: 200, body: page.items.map(view), headers: { 'X-Pagination': page.header } };
}

export function intParam(ctx: RequestCtx, name: string): number {
  const raw = ctx.params[name];
  if (raw === undefined || raw === '') {
    throw err.idNotInteger(name);
  }
  if (!/^-?\d+$/.test(raw)) {
    throw err.idNotInteger(name);
  }
  const n = Number(raw);
  if (n <= 0) {
    throw err.idNotPositive(name);
  }
  return n;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function guidParam(ctx: RequestCtx, name: string): string {
  const raw = ctx.params[name] ?? '';
  if (!GUID_RE.test(raw)) {
    throw err.idFormat(name);
  }
  return raw.toLowerCase();
}

export function isGuid(v: unknown): v is string {
  return typeof v === 'string' && GUID_RE.test(v);
}

/** The company of a company-scoped token (the route table guarantees one is present). */
export function companyOf(ctx: RequestCtx): string {
  const id = ctx.auth?.companyId;
  if (!id) {
    throw err.authNoAccess();
  }
  return id;
}

export function bodyObject(ctx: RequestCtx): Record<string, unknown> {
  const b = ctx.body;
  if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b)) {
    throw err.emptyRequest();
  }
  return b as Record<string, unknown>;
}

export function optString(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) {
    return undefined;
  }
  if (typeof v !== 'string') {
    throw err.rule('VALD-1022', `${field} must be a string.`);
  }
  return v;
}

export function reqString(o: Record<string, unknown>, field: string): string {
  const v = optString(o, field);
  if (v === undefined || v.trim() === '') {
    throw err.required(field);
  }
  return v;
}

export function optIntArray(o: Record<string, unknown>, field: string): number[] | undefined {
  const v = o[field];
  if (v === undefined || v === null) {
    return undefined;
  }
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && (x as number) > 0)) {
    throw err.rule('VALD-1022', `${field} must be a list of positive integers.`);
  }
  return v as number[];
}

export function optStringArray(o: Record<string, unknown>, field: string): string[] | undefined {
  const v = o[field];
  if (v === undefined || v === null) {
    return undefined;
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw err.rule('VALD-1022', `${field} must be a list of strings.`);
  }
  return v;
}

export function statusFilter<T extends string>(ctx: RequestCtx, allowed: readonly T[]): T | null {
  const raw = ctx.query.status;
  if (raw === undefined || raw === '') {
    return null;
  }
  const v = raw.toLowerCase() as T;
  if (!allowed.includes(v)) {
    throw err.notAllowed('status', allowed);
  }
  return v;
}

/** A JSON scalar as text (objects are serialized); null stays null. */
export function scalarText(v: unknown): string | null {
  if (v === undefined || v === null) {
    return null;
  }
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') {
    return String(v);
  }
  return JSON.stringify(v);
}
