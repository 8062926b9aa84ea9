/**
 * The emulator's HTTP server.
 *
 * Why node:http + find-my-way and not Nest/Express: the emulator must serve >= 5,000 token-authenticated
 * reads per second on a 2-core box while sharing it with the code under test, and it needs raw control of
 * the socket (destroy it for a dropped connection, never answer for a hang, custom HTTP reason phrases).
 * A framework adds per-request overhead and hides exactly those knobs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import FindMyWay from 'find-my-way';
import { type EmulatorClock, isoAt, monotonicMs, RealTimeClock } from './clock';
import { buildControlRouter, type ControlRouter } from './control-plane';
import { err, type ErrorMode, renderError, VendorError } from './errors';
import { FaultEngine, type FaultRule } from './faults';
import type { HandlerResult, RequestCtx } from './handlers/context';
import { DEFAULT_LIMITS, type LimitOptions, LimitTracker } from './limits';
import { DEFAULT_PAGINATION, type PaginationOptions } from './pagination';
import { deriveSeed, mulberry32, type Rng } from './rng';
import { RingBuffer } from './ring-buffer';
import { expandedRoutes, type RouteSpec } from './routes.table';
import {
  DEFAULT_SEED,
  EmulatorState,
  type HookRecord,
  MAX_SUBSCRIBERS,
  type SeedOptions,
  type TokenRec,
} from './state';
import { Stats } from './stats';

export interface LatencyOptions {
  fixedMs: number;
  jitterMs: number;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** Demo seed overrides; false = start empty. */
  seed?: Partial<SeedOptions> | false;
  clock?: EmulatorClock;
  limits?: Partial<LimitOptions>;
  errorMode?: ErrorMode;
  /** Capacity of the request journal (and of the received-hooks buffer). Default 1000. */
  journalSize?: number;
  /** Seed of every random stream (ids, tokens, jitter, fault probabilities). Default 1. */
  rngSeed?: number;
  latency?: LatencyOptions;
  pagination?: Partial<PaginationOptions>;
}

export interface JournalEntry {
  seq: number;
  /** Arrival time on the emulator clock (ISO-8601). */
  at: string;
  method: string;
  /** URL path and query as received (truncated to 512 characters). */
  url: string;
  /** Route-table path that matched, or null. */
  route: string | null;
  /** HTTP status sent; 0 when the fault hung or dropped the connection. */
  status: number;
  outcome: 'ok' | 'error' | 'rate-limited' | 'fault' | 'hang' | 'drop';
  companyId: string | null;
  tokenClass: string | null;
  errorCode: string | null;
  faultId: string | null;
  correlationId: string | null;
  durationMs: number;
}

interface StoredJournalEntry extends Omit<JournalEntry, 'at'> {
  atMs: number;
}

export interface DemoInfo {
  mispCompanyId: string;
  mispCompanyName: string;
  mispUserId: number;
  email: string;
  password: string;
  mispRoleId: number;
  subscriberCount: number;
  pendingRequestCount: number;
}

const MAX_BODY_BYTES = 1024 * 1024;

function resolveSeed(seed: Partial<SeedOptions> | false | undefined): SeedOptions | null {
  if (seed === false) {
    return null;
  }
  const s = { ...DEFAULT_SEED, ...(seed ?? {}) };
  for (const k of [
    'subscribers',
    'pendingRequests',
    'usersPerCompany',
    'subscriptionsPerCompany',
    'customersPerCompany',
    'eventsPerCompany',
  ] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 0) {
      throw new RangeError(`seed.${k} must be an integer >= 0`);
    }
  }
  if (s.subscribers > MAX_SUBSCRIBERS) {
    throw new RangeError(`seed.subscribers must be <= ${MAX_SUBSCRIBERS}`);
  }
  return s;
}

function firstString(v: unknown): string {
  return Array.isArray(v) ? String(v[0]) : String(v);
}

/** Everything behind one emulator instance; the HTTP server and the in-process control share it. */
export class EmulatorCore {
  readonly clock: EmulatorClock;
  readonly stats = new Stats();
  state: EmulatorState;
  seedOptions: SeedOptions | null;
  faults: FaultEngine;
  readonly limitTracker: LimitTracker;
  limits: LimitOptions;
  readonly companyLimits = new Map<string, Partial<LimitOptions>>();
  latency: LatencyOptions;
  errorMode: ErrorMode;
  readonly journal: RingBuffer<StoredJournalEntry>;
  readonly hooks: RingBuffer<HookRecord>;
  readonly pagination: PaginationOptions;
  readonly rngSeed: number;
  private latencyRng: Rng;
  private seq = 0;
  private hookSeq = 0;
  private readonly router = FindMyWay({ caseSensitive: false, ignoreTrailingSlash: true });
  private readonly control: ControlRouter;
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly options: EmulatorOptions) {
    this.clock = options.clock ?? new RealTimeClock();
    this.rngSeed = options.rngSeed ?? 1;
    this.seedOptions = resolveSeed(options.seed);
    this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    this.latency = { ...(options.latency ?? { fixedMs: 0, jitterMs: 0 }) };
    this.errorMode = options.errorMode ?? 'plaintext';
    const journalSize = options.journalSize ?? 1000;
    this.journal = new RingBuffer(journalSize);
    this.hooks = new RingBuffer(journalSize);
    this.pagination = { ...DEFAULT_PAGINATION, ...(options.pagination ?? {}) };
    this.limitTracker = new LimitTracker(() => this.clock.now());
    this.faults = new FaultEngine(deriveSeed(this.rngSeed, 'faults'));
    this.latencyRng = mulberry32(deriveSeed(this.rngSeed, 'latency'));
    this.state = new EmulatorState(this.seedOptions, this.rngSeed, () => this.clock.now(), this.stats);
    for (const r of expandedRoutes()) {
      this.router.on(r.method, r.path, () => undefined, r);
    }
    this.control = buildControlRouter(this);
  }

  /** Fresh state from the current seed options; clears faults, journal, stats, hooks, limit counters. */
  reset(): void {
    this.state = new EmulatorState(this.seedOptions, this.rngSeed, () => this.clock.now(), this.stats);
    this.faults = new FaultEngine(deriveSeed(this.rngSeed, 'faults'));
    this.latencyRng = mulberry32(deriveSeed(this.rngSeed, 'latency'));
    this.limitTracker.clear();
    this.companyLimits.clear();
    this.limits = { ...DEFAULT_LIMITS, ...(this.options.limits ?? {}) };
    this.latency = { ...(this.options.latency ?? { fixedMs: 0, jitterMs: 0 }) };
    this.errorMode = this.options.errorMode ?? 'plaintext';
    this.journal.clear();
    this.hooks.clear();
    this.stats.clear();
    this.seq = 0;
    this.hookSeq = 0;
  }

  reseed(seed: Partial<SeedOptions> | false): void {
    this.seedOptions = resolveSeed(seed);
    this.reset();
  }

  demo(): DemoInfo | null {
    const s = this.state;
    const o = this.seedOptions;
    if (!o || !s.mispCompanyId) {
      return null;
    }
    return {
      mispCompanyId: s.mispCompanyId,
      mispCompanyName: o.mispCompanyName,
      mispUserId: s.mispUserId,
      email: o.mispEmail,
      password: o.mispPassword,
      mispRoleId: s.mispRoleId,
      subscriberCount: s.subscribersOf(s.mispCompanyId).length,
      pendingRequestCount: [...s.subscriberRequests.values()].filter((r) => r.status === 'pending').length,
    };
  }

  effectiveLimits(companyId: string): LimitOptions {
    const o = this.companyLimits.get(companyId);
    return o ? { ...this.limits, ...o } : this.limits;
  }

  journalEntries(limit?: number): JournalEntry[] {
    const all = this.journal.toArray();
    const slice = limit !== undefined && limit >= 0 ? all.slice(Math.max(0, all.length - limit)) : all;
    return slice.map(({ atMs, ...rest }) => ({ ...rest, at: isoAt(atMs) }));
  }

  releaseHanging(): void {
    for (const res of this.hanging) {
      res.destroy();
    }
    this.hanging.clear();
  }

  // ------------------------------------------------------------------ request pipeline

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (url.startsWith('/__emulator')) {
      this.control.handle(req, res);
      return;
    }
    const started = monotonicMs();
    const method = req.method ?? 'GET';
    const found = this.router.find(method as 'GET', url);
    const spec = (found?.store as RouteSpec | undefined) ?? null;
    const header = req.headers.authorization;
    const token = header ? this.lookupToken(header) : null;
    const entry: StoredJournalEntry = {
      seq: ++this.seq,
      atMs: this.clock.now(),
      method,
      url: url.length > 512 ? url.slice(0, 512) : url,
      route: spec ? spec.path : null,
      status: 0,
      outcome: 'ok',
      companyId: token?.companyId ?? null,
      tokenClass: token?.cls ?? null,
      errorCode: null,
      faultId: null,
      correlationId:
        typeof req.headers['x-correlation-id'] === 'string' ? req.headers['x-correlation-id'] : null,
      durationMs: 0,
    };
    const routeKey = spec ? `${spec.method} ${spec.path}` : 'unmatched';

    const fault = this.faults.size
      ? this.faults.evaluate(method, url.split('?', 1)[0], entry.companyId)
      : null;
    const proceed = (): void =>
      this.afterFault(
        req,
        res,
        spec,
        found?.params ?? {},
        found?.searchParams ?? {},
        token,
        header,
        entry,
        routeKey,
        started,
      );
    if (fault) {
      this.stats.faultsFired++;
      entry.faultId = fault.id;
      this.applyFault(fault, req, res, entry, routeKey, started, proceed);
      return;
    }
    proceed();
  };

  private lookupToken(header: string): TokenRec | null {
    const raw =
      header.length > 7 && header.slice(0, 7).toLowerCase() === 'bearer '
        ? header.slice(7).trim()
        : header.trim();
    return this.state.tokens.get(raw) ?? null;
  }

  private applyFault(
    fault: FaultRule,
    req: IncomingMessage,
    res: ServerResponse,
    entry: StoredJournalEntry,
    routeKey: string,
    started: number,
    proceed: () => void,
  ): void {
    const a = fault.action;
    if (a.type === 'hang') {
      req.resume();
      entry.outcome = 'hang';
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      this.record(entry, routeKey, started);
      return;
    }
    if (a.type === 'delay') {
      setTimeout(proceed, a.delayMs);
      return;
    }
    const run = () => {
      if (a.type === 'drop') {
        entry.outcome = 'drop';
        this.record(entry, routeKey, started);
        req.socket.destroy();
        return;
      }
      req.resume();
      entry.outcome = 'fault';
      const body = a.body ?? '';
      const headers: Record<string, string | number> = { ...(a.headers ?? {}) };
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type') && body) {
        headers['Content-Type'] = 'text/plain; charset=utf-8';
      }
      headers['Content-Length'] = Buffer.byteLength(body);
      entry.status = a.status;
      res.writeHead(a.status, headers);
      res.end(body);
      this.record(entry, routeKey, started);
    };
    if (a.delayMs) {
      setTimeout(run, a.delayMs);
    } else {
      run();
    }
  }

  private afterFault(
    req: IncomingMessage,
    res: ServerResponse,
    spec: RouteSpec | null,
    params: Record<string, string | undefined>,
    searchParams: Record<string, string>,
    token: TokenRec | null,
    header: string | undefined,
    entry: StoredJournalEntry,
    routeKey: string,
    started: number,
  ): void {
    if (!spec) {
      req.resume();
      this.finish(res, entry, routeKey, started, null, err.routeNotFound());
      return;
    }
    // Authenticate first (ASP.NET runs authorization before model binding).
    let limitKey: string | null = null;
    try {
      this.authorize(spec, token, header);
      limitKey = this.applyLimits(spec, token);
    } catch (e) {
      req.resume();
      this.finish(res, entry, routeKey, started, null, e);
      return;
    }
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    const run = (body: unknown, bodyError: VendorError | null) => {
      if (bodyError) {
        this.finish(res, entry, routeKey, started, limitKey, bodyError);
        return;
      }
      const query: Record<string, string> = {};
      for (const k in searchParams) {
        query[k] = firstString(searchParams[k]);
      }
      const ctx: RequestCtx = {
        state: this.state,
        params,
        query,
        body,
        auth: token,
        headers: req.headers,
        pagination: this.pagination,
        recordHook: (rec) =>
          this.hooks.push({ ...rec, seq: ++this.hookSeq, receivedAt: isoAt(this.clock.now()) }),
      };
      let result: HandlerResult;
      try {
        result = spec.handler(ctx);
      } catch (e) {
        this.finish(res, entry, routeKey, started, limitKey, e);
        return;
      }
      this.finish(res, entry, routeKey, started, limitKey, null, result);
    };
    if (!hasBody) {
      run(undefined, null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => {
      if (tooLarge) {
        return run(undefined, err.rule('VALD-1003', 'Request body is too large.'));
      }
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        return run(undefined, null);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return run(undefined, err.emptyRequest());
      }
      run(parsed, null);
    });
    req.on('error', () => undefined);
  }

  private authorize(spec: RouteSpec, token: TokenRec | null, header: string | undefined): void {
    if (spec.auth === 'none') {
      return;
    }
    if (!header || !header.trim()) {
      throw err.authMissing();
    }
    if (!token) {
      throw err.authInvalid();
    }
    if (token.expiresAt !== null && this.clock.now() >= token.expiresAt) {
      throw err.authExpired();
    }
    switch (spec.auth) {
      case 'user':
        if (token.userId === null || (token.cls !== 'user' && token.cls !== 'company')) {
          throw err.authNoAccess('the SSO user API (a user token is required)');
        }
        break;
      case 'company':
        if (token.cls !== 'company' && token.cls !== 'apikey') {
          throw err.authNoAccess('this API (a company token or API key is required)');
        }
        break;
      case 'webhook':
        if (token.cls !== 'webhook') {
          throw err.authNoAccess('the hook API (a webhook API key is required)');
        }
        break;
    }
    if (!this.state.tokenStillValid(token)) {
      throw err.companyNotFound(token.companyId ?? '');
    }
  }

  /**
   * Company-scoped calls (company token, API key, webhook key) use the company's bucket, concurrency cap and
   * monthly allowance. SSO calls made with a user token use a per-user bucket and concurrency cap with the
   * same settings but no monthly allowance. Login and Refresh are not limited.
   */
  private applyLimits(spec: RouteSpec, token: TokenRec | null): string | null {
    if (spec.auth === 'none' || !token) {
      return null;
    }
    let key: string;
    let limits: LimitOptions;
    let monthly: boolean;
    if (token.cls === 'user') {
      key = `user:${token.userId}`;
      limits = this.limits;
      monthly = false;
    } else {
      key = token.companyId as string;
      limits = this.effectiveLimits(key);
      monthly = true;
    }
    const d = this.limitTracker.acquire(key, limits, monthly);
    if (d.ok) {
      return key;
    }
    if (d.kind === 'monthly') {
      this.stats.monthly429++;
      throw err.monthly();
    }
    this.stats.volume429++;
    throw err.volume(d.retryAfterSeconds);
  }

  private finish(
    res: ServerResponse,
    entry: StoredJournalEntry,
    routeKey: string,
    started: number,
    limitKey: string | null,
    error: unknown,
    result?: HandlerResult,
  ): void {
    let status: number;
    let headers: Record<string, string | number>;
    let payload: string;
    let reason: string | undefined;
    if (error !== null && error !== undefined) {
      const ve =
        error instanceof VendorError
          ? error
          : new VendorError(
              500,
              'INTL-1004',
              `Uncaught exception: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
            );
      const r = renderError(ve, this.errorMode);
      status = r.status;
      headers = r.headers;
      payload = r.body;
      reason = r.reason;
      entry.errorCode = ve.code;
      entry.outcome = status === 429 ? 'rate-limited' : 'error';
    } else {
      const r = result as HandlerResult;
      status = r.status;
      headers = r.headers ? { ...r.headers } : {};
      if (r.body === undefined) {
        payload = '';
      } else {
        payload = JSON.stringify(r.body);
        headers['Content-Type'] = 'application/json; charset=utf-8';
      }
    }
    headers['Content-Length'] = Buffer.byteLength(payload);
    entry.status = status;
    const send = () => {
      if (!res.destroyed) {
        if (reason !== undefined) {
          res.writeHead(status, reason, headers);
        } else {
          res.writeHead(status, headers);
        }
        res.end(payload);
      }
      if (limitKey !== null) {
        this.limitTracker.release(limitKey);
      }
      this.record(entry, routeKey, started);
    };
    const { fixedMs, jitterMs } = this.latency;
    if (fixedMs > 0 || jitterMs > 0) {
      setTimeout(send, fixedMs + (jitterMs > 0 ? this.latencyRng() * jitterMs : 0));
    } else {
      send();
    }
  }

  private record(entry: StoredJournalEntry, routeKey: string, started: number): void {
    entry.durationMs = Math.round((monotonicMs() - started) * 1000) / 1000;
    this.journal.push(entry);
    this.stats.call(routeKey, entry.companyId, entry.status);
  }
}

export interface RunningEmulator {
  url: string;
  core: EmulatorCore;
  server: Server;
  close(): Promise<void>;
}

export async function listen(options: EmulatorOptions): Promise<RunningEmulator> {
  const core = new EmulatorCore(options);
  const server = createServer({ keepAliveTimeout: 5000 }, core.handle);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4010, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${addr.port}`,
    core,
    server,
    close: () => {
      if (!closed) {
        closed = new Promise<void>((resolve) => {
          server.close(() => resolve());
          core.releaseHanging();
          server.closeAllConnections();
          for (const s of sockets) {
            s.destroy();
          }
        });
      }
      return closed;
    },
  };
}
