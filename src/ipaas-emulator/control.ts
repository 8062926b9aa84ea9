import type { ErrorMode } from './errors';
import { ERROR_MODES } from './errors';
import type { FaultRule, FaultRuleInput } from './faults';
import type { LimitOptions } from './limits';
import { ROUTES } from './routes.table';
import type { DemoInfo, EmulatorCore, JournalEntry, LatencyOptions } from './server';
import type { HookRecord, SeedOptions } from './state';
import type { StatsSnapshot } from './stats';
import { isoAt } from './clock';

export interface RouteInfo {
  method: string;
  path: string;
  api: string;
  auth: string;
  provisional: boolean;
  source: string;
}

export interface MintedApiKey {
  id: number;
  companyId: string;
  name: string;
  apiKey: string;
  expiresAt: string | null;
}

export interface MintedToken {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  userId: number;
  companyId: string;
}

export interface NewSubscriberRequest {
  requestId: number;
  companyId: string;
  companyName: string;
  adminEmail: string;
  adminPassword: string;
}

export interface UserInfo {
  id: number;
  email: string;
  name: string;
  companyIds: string[];
}

/** In-process handle to everything the HTTP control plane (`/__emulator/...`) does, plus test helpers. */
export interface EmulatorControl {
  /** Fresh state from the current seed; clears faults, journal, stats, hooks, limit counters and overrides. */
  reset(): void;
  /** Replace the seed (merged with the defaults; false = empty) and reset. Returns the demo info. */
  seed(options?: Partial<SeedOptions> | false): DemoInfo | null;
  /** Emulator-clock time in ms since the epoch. */
  now(): number;
  /** Move the emulator clock forward; returns the new time. */
  advanceClock(ms: number): number;
  getLatency(): LatencyOptions;
  setLatency(latency: LatencyOptions): void;
  getErrorMode(): ErrorMode;
  setErrorMode(mode: ErrorMode): void;
  getLimits(companyId?: string): LimitOptions;
  setLimits(limits: Partial<LimitOptions>): LimitOptions;
  /** Per-company override (null removes it). E.g. `{ ratePerSecond: 0, concurrency: 0 }` for no limit. */
  setCompanyLimits(companyId: string, limits: Partial<LimitOptions> | null): LimitOptions;
  /** Calls counted against the company's allowance this (virtual) month. */
  monthlyCalls(companyId: string): number;
  addFault(rule: FaultRuleInput): FaultRule;
  removeFault(id: string): boolean;
  clearFaults(): void;
  listFaults(): FaultRule[];
  /** Newest last; `limit` keeps the most recent entries only. */
  journal(limit?: number): JournalEntry[];
  /** Requests journaled since the last reset, including entries the ring buffer has dropped. */
  journalTotal(): number;
  clearJournal(): void;
  stats(): StatsSnapshot;
  hooks(): HookRecord[];
  demo(): DemoInfo | null;
  routes(): RouteInfo[];
  /** Issue an API key for a company (the vendor's key CRUD is not public). */
  mintApiKey(companyId: string, options?: { name?: string; expiresInDays?: number | null }): MintedApiKey;
  /** Company token for a user who can access the company (default: the demo MiSP user). */
  mintCompanyToken(companyId: string, userId?: number): MintedToken;
  /** A new subscriber company (with an admin user) asking the demo MiSP; returns the pending request. */
  createSubscriberRequest(options?: { companyName?: string }): NewSubscriberRequest;
  /** The subscriber side approves a pending role share (so the lifecycle can complete in the sandbox). */
  approveRoleShareAsSubscriber(roleShareId: number): Record<string, unknown>;
  findUser(email: string): UserInfo | null;
  /** Companies the demo MiSP currently serves, in relationship order. */
  subscriberCompanyIds(): string[];
  /** The demo MiSP's relationship with the company ends at the vendor (as if removed outside Tenantry). */
  endRelationship(companyId: string): void;
}

export class EmulatorControlImpl implements EmulatorControl {
  constructor(private readonly core: EmulatorCore) {}

  reset(): void {
    this.core.reset();
  }

  seed(options: Partial<SeedOptions> | false = {}): DemoInfo | null {
    this.core.reseed(options);
    return this.core.demo();
  }

  now(): number {
    return this.core.clock.now();
  }

  advanceClock(ms: number): number {
    const clock = this.core.clock;
    if (!clock.advance) {
      throw new Error('this clock cannot be advanced');
    }
    clock.advance(ms);
    return clock.now();
  }

  getLatency(): LatencyOptions {
    return { ...this.core.latency };
  }

  setLatency(latency: LatencyOptions): void {
    const fixedMs = Number(latency.fixedMs ?? 0);
    const jitterMs = Number(latency.jitterMs ?? 0);
    if (!(fixedMs >= 0 && jitterMs >= 0)) {
      throw new RangeError('fixedMs and jitterMs must be >= 0');
    }
    this.core.latency = { fixedMs, jitterMs };
  }

  getErrorMode(): ErrorMode {
    return this.core.errorMode;
  }

  setErrorMode(mode: ErrorMode): void {
    if (!ERROR_MODES.includes(mode)) {
      throw new RangeError(`error mode must be one of ${ERROR_MODES.join(', ')}`);
    }
    this.core.errorMode = mode;
  }

  getLimits(companyId?: string): LimitOptions {
    return companyId ? { ...this.core.effectiveLimits(companyId) } : { ...this.core.limits };
  }

  setLimits(limits: Partial<LimitOptions>): LimitOptions {
    checkLimits(limits);
    this.core.limits = { ...this.core.limits, ...limits };
    return this.getLimits();
  }

  setCompanyLimits(companyId: string, limits: Partial<LimitOptions> | null): LimitOptions {
    const id = companyId.toLowerCase();
    if (limits === null) {
      this.core.companyLimits.delete(id);
    } else {
      checkLimits(limits);
      this.core.companyLimits.set(id, { ...(this.core.companyLimits.get(id) ?? {}), ...limits });
    }
    return this.getLimits(id);
  }

  monthlyCalls(companyId: string): number {
    return this.core.limitTracker.monthCount(companyId.toLowerCase());
  }

  addFault(rule: FaultRuleInput): FaultRule {
    return this.core.faults.add(rule);
  }

  removeFault(id: string): boolean {
    return this.core.faults.remove(id);
  }

  clearFaults(): void {
    this.core.faults.clear();
  }

  listFaults(): FaultRule[] {
    return this.core.faults.list();
  }

  journal(limit?: number): JournalEntry[] {
    return this.core.journalEntries(limit);
  }

  journalTotal(): number {
    return this.core.journal.total;
  }

  clearJournal(): void {
    this.core.journal.clear();
  }

  stats(): StatsSnapshot {
    return this.core.stats.snapshot();
  }

  hooks(): HookRecord[] {
    return this.core.hooks.toArray();
  }

  demo(): DemoInfo | null {
    return this.core.demo();
  }

  routes(): RouteInfo[] {
    return ROUTES.map(({ method, path, api, auth, provisional, source }) => ({
      method,
      path,
      api,
      auth,
      provisional,
      source,
    }));
  }

  mintApiKey(
    companyId: string,
    options: { name?: string; expiresInDays?: number | null } = {},
  ): MintedApiKey {
    const rec = this.core.state.mintApiKey(
      companyId,
      options.name ?? 'Tenantry',
      options.expiresInDays ?? null,
    );
    return {
      id: rec.id,
      companyId: rec.companyId,
      name: rec.name,
      apiKey: rec.key,
      expiresAt: rec.expiresAt === null ? null : isoAt(rec.expiresAt),
    };
  }

  mintCompanyToken(companyId: string, userId?: number): MintedToken {
    const s = this.core.state;
    const company = s.companyOrThrow(companyId);
    const uid = userId ?? s.mispUserId;
    if (!s.canAccess(uid, company.id)) {
      throw new Error(`user ${uid} cannot access company ${company.id}`);
    }
    const issued = s.issueSession(uid, company.id);
    return {
      accessToken: issued.access.token,
      refreshToken: issued.refresh as string,
      expiresAt: isoAt(issued.expiresAt),
      userId: uid,
      companyId: company.id,
    };
  }

  createSubscriberRequest(options: { companyName?: string } = {}): NewSubscriberRequest {
    const r = this.core.state.newSubscriberWithRequest(options.companyName);
    return {
      requestId: r.request.id,
      companyId: r.company.id,
      companyName: r.company.name,
      adminEmail: r.adminEmail,
      adminPassword: (this.core.seedOptions ?? { userPassword: 'sandbox-pass' }).userPassword,
    };
  }

  approveRoleShareAsSubscriber(roleShareId: number): Record<string, unknown> {
    const s = this.core.state;
    const share = s.roleShares.get(roleShareId);
    if (!share) {
      throw new Error(`role share ${roleShareId} not found`);
    }
    return s.roleShareView(s.decideRoleShare(share.subscriberId, roleShareId, true));
  }

  findUser(email: string): UserInfo | null {
    const u = this.core.state.userByEmail(email);
    if (!u) {
      return null;
    }
    return { id: u.id, email: u.email, name: `${u.firstName} ${u.lastName}`, companyIds: [...u.companies] };
  }

  subscriberCompanyIds(): string[] {
    const s = this.core.state;
    return s.mispCompanyId ? s.subscribersOf(s.mispCompanyId).map((x) => x.company.id) : [];
  }

  endRelationship(companyId: string): void {
    const s = this.core.state;
    if (!s.mispCompanyId) {
      throw new Error('no demo MiSP is seeded');
    }
    s.removeSubscriber(s.mispCompanyId, companyId);
  }
}

function checkLimits(l: Partial<LimitOptions>): void {
  const bad: string[] = [];
  if (l.ratePerSecond !== undefined && !(typeof l.ratePerSecond === 'number' && l.ratePerSecond >= 0)) {
    bad.push('ratePerSecond >= 0');
  }
  if (l.burst !== undefined && !(typeof l.burst === 'number' && l.burst >= 1)) {
    bad.push('burst >= 1');
  }
  if (l.concurrency !== undefined && !(Number.isInteger(l.concurrency) && l.concurrency >= 0)) {
    bad.push('concurrency integer >= 0');
  }
  if (
    l.monthlyAllowance !== undefined &&
    l.monthlyAllowance !== null &&
    !(Number.isInteger(l.monthlyAllowance) && l.monthlyAllowance >= 0)
  ) {
    bad.push('monthlyAllowance integer >= 0 or null');
  }
  if (bad.length) {
    throw new RangeError(`invalid limits: expected ${bad.join(', ')}`);
  }
}
