import { isoAt } from './clock';
import { err } from './errors';
import { deriveSeed, mulberry32, randomGuid, randomHex, type Rng } from './rng';
import { type Stats } from './stats';

/**
 * In-memory vendor state. Companies are created eagerly (small records); each company's users, roles,
 * subscriptions, customers and events are generated lazily, deterministically from the company's own seeded
 * stream, the first time anything touches the company. That keeps a 20,000-company seed fast and light.
 */

export type TokenClass = 'user' | 'company' | 'apikey' | 'webhook';

export const ACCESS_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Refresh-token lifetime is unknown at the vendor; 7 days on the emulator clock (provisional). */
export const REFRESH_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const DESIGNATIONS: Record<number, string> = {
  1: 'Admin',
  2: 'MiSP',
  3: 'Tech Partner',
  4: 'Integrator',
  5: 'Subscriber',
};
export const DESIGNATION_MISP = 2;
export const DESIGNATION_SUBSCRIBER = 5;

export const ALL_PERMISSIONS = [
  'User',
  'Role',
  'Subscription',
  'Customer',
  'Administer MISP',
  'Administer Customers',
  'Log',
  'Dashboard',
];

export interface SeedOptions {
  /** Subscriber companies already approved with an active role share. Max 20,000. */
  subscribers: number;
  /** Pending subscriber requests (each from its own new company). */
  pendingRequests: number;
  mispCompanyName: string;
  mispEmail: string;
  mispPassword: string;
  /** Password of every seeded user. */
  userPassword: string;
  usersPerCompany: number;
  subscriptionsPerCompany: number;
  customersPerCompany: number;
  eventsPerCompany: number;
}

export const DEFAULT_SEED: SeedOptions = {
  subscribers: 25,
  pendingRequests: 5,
  mispCompanyName: 'Sandbox MiSP',
  mispEmail: 'misp@sandbox.test',
  mispPassword: 'sandbox-pass',
  userPassword: 'sandbox-pass',
  usersPerCompany: 2,
  subscriptionsPerCompany: 3,
  customersPerCompany: 3,
  eventsPerCompany: 5,
};

export const MAX_SUBSCRIBERS = 20000;

export interface CompanyRec {
  id: string;
  index: number;
  name: string;
  domain: string;
  designationId: number;
  createdAt: number;
  data: CompanyData | null;
}

export interface RoleRec {
  id: number;
  companyId: string;
  name: string;
  description: string;
  permissions: string[];
  createdAt: number;
}

export interface PersistentDatum {
  name: string;
  value: string | null;
  expiration_date_time: string | null;
}

export interface SubscriptionRec {
  id: number;
  type: number;
  name: string;
  description: string;
  integrationId: number;
  integrationVersionId: number;
  webhookApiKey: string;
  trackingGuid: string;
  settings: Record<string, string>;
  persistentData: Map<string, PersistentDatum>;
}

export interface ExternalId {
  id: number;
  system_id: number;
  external_id: string;
  internal_id: number;
}

export interface CustomField {
  id: number;
  type: string;
  custom_field_name: string;
  value: string | null;
}

export interface CustomerRec {
  id: number;
  trackingGuid: string;
  firstName: string;
  lastName: string;
  email: string;
  company: string | null;
  phone: string | null;
  externalIds: ExternalId[];
  customFields: CustomField[];
  createdAt: number;
  updatedAt: number;
}

export interface EventRec {
  id: number;
  type: string;
  description: string;
  recordId: number | null;
  subscriptionId: number | null;
  trackingGuid: string;
  createdAt: number;
}

export interface ApiKeyRec {
  id: number;
  companyId: string;
  name: string;
  key: string;
  expiresAt: number | null;
  createdAt: number;
}

export interface CompanyData {
  /** userId -> role ids in this company. */
  members: Map<number, Set<number>>;
  roles: Map<number, RoleRec>;
  subscriptions: Map<number, SubscriptionRec>;
  customers: Map<number, CustomerRec>;
  events: EventRec[];
  apiKeys: Map<number, ApiKeyRec>;
}

export interface UserRec {
  id: number;
  firstName: string;
  lastName: string;
  email: string;
  password: string;
  companies: Set<string>;
  createdAt: number;
}

export type RequestStatus = 'pending' | 'approved' | 'denied';
export interface SubscriberRequestRec {
  id: number;
  subscriberId: string;
  mispId: string;
  status: RequestStatus;
  createdAt: number;
  decidedAt: number | null;
}

export type RoleShareStatus = 'pending' | 'active' | 'denied';
export interface RoleShareRec {
  id: number;
  mispId: string;
  subscriberId: string;
  roleId: number;
  status: RoleShareStatus;
  purpose: string | null;
  durationDays: number | null;
  createdAt: number;
  decidedAt: number | null;
}

export interface TokenRec {
  token: string;
  cls: TokenClass;
  userId: number | null;
  companyId: string | null;
  expiresAt: number | null;
  chainId: number;
  /** Access epoch when access was last verified (user-derived company tokens only). */
  epoch: number;
  apiKeyId: number | null;
  subscriptionId: number | null;
}

interface RefreshRec {
  chainId: number;
  expiresAt: number;
  cls: TokenClass;
  userId: number | null;
  companyId: string | null;
}

export interface HookRecord {
  seq: number;
  endpoint: string;
  subscriptionId: number | null;
  companyId: string | null;
  correlationId: string | null;
  receivedAt: string;
  body: unknown;
}

const SYSTEMS = [
  { type: 1, name: 'iPaaS.com', description: 'iPaaS.com platform data' },
  { type: 2, name: 'Shopify', description: 'Shopify storefront' },
  { type: 3, name: 'NetSuite', description: 'NetSuite ERP' },
  { type: 4, name: 'BigCommerce', description: 'BigCommerce storefront' },
  { type: 5, name: 'Magento 2', description: 'Adobe Commerce' },
];
const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Dennis', 'Frances', 'Ken', 'Radia'];
const LAST = [
  'Lovelace',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Turing',
  'Liskov',
  'Ritchie',
  'Allen',
  'Thompson',
];
const EVENT_TYPES = ['customer/created', 'customer/updated', 'transaction/created', 'product/updated'];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export class EmulatorState {
  readonly companies = new Map<string, CompanyRec>();
  private readonly companyOrder: string[] = [];
  private readonly domains = new Map<string, string>();
  readonly users = new Map<number, UserRec>();
  private readonly emails = new Map<string, number>();
  private readonly roleIndex = new Map<number, string>();
  private readonly subscriptionIndex = new Map<number, string>();
  /** mispId -> subscriberId -> since. */
  private readonly relationships = new Map<string, Map<string, number>>();
  private readonly subscriberMisps = new Map<string, Set<string>>();
  readonly subscriberRequests = new Map<number, SubscriberRequestRec>();
  readonly roleShares = new Map<number, RoleShareRec>();
  /** `${mispId}|${subscriberId}` -> share ids. */
  private readonly sharesByPair = new Map<string, Set<number>>();
  readonly tokens = new Map<string, TokenRec>();
  private readonly refreshTokens = new Map<string, RefreshRec>();

  /** Bumped whenever access can shrink (subscriber removed, share revoked, member or role removed). */
  accessEpoch = 0;
  mispCompanyId = '';
  mispUserId = 0;
  mispRoleId = 0;

  private ids = {
    company: 0,
    user: 1000,
    role: 0,
    subscription: 0,
    customer: 0,
    event: 0,
    apikey: 0,
    request: 0,
  };
  private share = 0;
  private tokenCounter = 0;
  private chainCounter = 0;
  private issuedSincePrune = 0;
  private readonly tokenRng: Rng;
  private readonly idRng: Rng;

  constructor(
    readonly seedOptions: SeedOptions | null,
    private readonly rngSeed: number,
    private readonly clockNow: () => number,
    readonly stats: Stats,
  ) {
    this.tokenRng = mulberry32(deriveSeed(rngSeed, 'tokens'));
    this.idRng = mulberry32(deriveSeed(rngSeed, 'ids'));
    if (seedOptions) {
      this.seed(seedOptions);
    }
  }

  // ---------------------------------------------------------------- seed

  private seed(o: SeedOptions): void {
    const misp = this.addCompany(o.mispCompanyName, 'sandbox.test', DESIGNATION_MISP);
    this.mispCompanyId = misp.id;
    const data = this.data(misp);
    const operator = this.addRole(misp.id, 'MiSP Operator', 'Shared into subscriber companies', [
      'User',
      'Subscription',
      'Customer',
      'Administer Customers',
    ]);
    this.mispRoleId = operator.id;
    const admin = [...data.roles.values()].find((r) => r.name === 'Administrator');
    const user = this.ensureUser(o.mispEmail, 'Sandbox', 'Operator', o.mispPassword);
    this.addMember(misp.id, user.id, admin ? [admin.id, operator.id] : [operator.id]);
    this.mispUserId = user.id;

    const now = this.clockNow();
    for (let i = 1; i <= o.subscribers; i++) {
      const c = this.addCompany(
        `Sandbox Subscriber ${pad(i, 5)}`,
        `sub-${pad(i, 5)}.sandbox.test`,
        DESIGNATION_SUBSCRIBER,
      );
      const req = this.newRequest(c.id, misp.id);
      req.status = 'approved';
      req.decidedAt = now;
      this.linkRelationship(misp.id, c.id);
      const share = this.newShare(misp.id, c.id, operator.id, 'Managed by Sandbox MiSP', null);
      share.status = 'active';
      share.decidedAt = now;
    }
    for (let i = 1; i <= o.pendingRequests; i++) {
      const c = this.addCompany(
        `Pending Subscriber ${pad(i, 3)}`,
        `pending-${pad(i, 3)}.sandbox.test`,
        DESIGNATION_SUBSCRIBER,
      );
      this.newRequest(c.id, misp.id);
    }
  }

  addCompany(name: string, domain: string, designationId: number): CompanyRec {
    const c: CompanyRec = {
      id: randomGuid(this.idRng),
      index: ++this.ids.company,
      name,
      domain: domain.toLowerCase(),
      designationId,
      createdAt: this.clockNow(),
      data: null,
    };
    this.companies.set(c.id, c);
    this.companyOrder.push(c.id);
    this.domains.set(c.domain, c.id);
    return c;
  }

  /** The company's detail, generated on first use. */
  data(c: CompanyRec): CompanyData {
    if (c.data) {
      return c.data;
    }
    const d: CompanyData = {
      members: new Map(),
      roles: new Map(),
      subscriptions: new Map(),
      customers: new Map(),
      events: [],
      apiKeys: new Map(),
    };
    c.data = d;
    const o = this.seedOptions ?? DEFAULT_SEED;
    const rng = mulberry32(deriveSeed(this.rngSeed, `company:${c.index}`));
    const now = this.clockNow();
    const admin = this.addRole(c.id, 'Administrator', 'Full access', [...ALL_PERMISSIONS]);
    const viewer = this.addRole(c.id, 'Viewer', 'Read-only access', ['Subscription', 'Customer']);
    if (c.designationId === DESIGNATION_MISP) {
      return d;
    } // the MiSP's users are added by seed()
    for (let k = 0; k < o.usersPerCompany; k++) {
      const email = k === 0 ? `admin@${c.domain}` : `user${k}@${c.domain}`;
      const u = this.ensureUser(
        email,
        FIRST[(c.index + k) % FIRST.length],
        LAST[(c.index * 7 + k) % LAST.length],
        o.userPassword,
      );
      this.addMember(c.id, u.id, [k === 0 ? admin.id : viewer.id]);
    }
    for (let k = 0; k < o.subscriptionsPerCompany; k++) {
      const sys = SYSTEMS[k % SYSTEMS.length];
      const id = ++this.ids.subscription;
      const s: SubscriptionRec = {
        id,
        type: sys.type,
        name: sys.name,
        description: sys.description,
        integrationId: 100 + sys.type,
        integrationVersionId: 1000 + sys.type,
        webhookApiKey: `iph.${id.toString(36)}.${randomHex(rng, 32)}`,
        trackingGuid: randomGuid(rng),
        settings: {
          Url: `https://${sys.name.toLowerCase().replace(/[^a-z0-9]/g, '')}.${c.domain}`,
          Throttle: '10',
        },
        persistentData: new Map(),
      };
      s.persistentData.set('LastSync', { name: 'LastSync', value: isoAt(now), expiration_date_time: null });
      s.persistentData.set('Cursor', {
        name: 'Cursor',
        value: String((rng() * 100000) | 0),
        expiration_date_time: null,
      });
      d.subscriptions.set(id, s);
      this.subscriptionIndex.set(id, c.id);
      this.registerToken({
        token: s.webhookApiKey,
        cls: 'webhook',
        userId: null,
        companyId: c.id,
        expiresAt: null,
        chainId: 0,
        epoch: 0,
        apiKeyId: null,
        subscriptionId: id,
      });
    }
    for (let k = 0; k < o.customersPerCompany; k++) {
      const first = FIRST[(k + c.index) % FIRST.length];
      const last = LAST[(k * 3 + c.index) % LAST.length];
      this.insertCustomer(
        c,
        rng,
        {
          firstName: first,
          lastName: last,
          email: `${first}.${last}.${k}@customers.${c.domain}`.toLowerCase(),
          company: null,
          phone: `555-${pad((rng() * 10000) | 0, 4)}`,
          externalIds: [],
          customFields: [],
        },
        false,
      );
    }
    for (let k = 0; k < o.eventsPerCompany; k++) {
      this.addEvent(c, rng, EVENT_TYPES[k % EVENT_TYPES.length], `Seeded event ${k + 1}`, null);
    }
    return d;
  }

  // ---------------------------------------------------------------- lookups

  company(id: string): CompanyRec | undefined {
    return this.companies.get(id.toLowerCase());
  }

  companyOrThrow(id: string): CompanyRec {
    const c = this.company(id);
    if (!c) {
      throw err.notFound('Company', id);
    }
    return c;
  }

  allCompanyIds(): readonly string[] {
    return this.companyOrder;
  }

  userByEmail(email: string): UserRec | undefined {
    const key = email.trim().toLowerCase();
    let id = this.emails.get(key);
    if (id === undefined) {
      // A seeded user of a company that was never touched: materialize the company, then look again.
      const at = key.lastIndexOf('@');
      const companyId = at >= 0 ? this.domains.get(key.slice(at + 1)) : undefined;
      const c = companyId ? this.companies.get(companyId) : undefined;
      if (c && !c.data) {
        this.data(c);
        id = this.emails.get(key);
      }
    }
    return id === undefined ? undefined : this.users.get(id);
  }

  private ensureUser(email: string, firstName: string, lastName: string, password: string): UserRec {
    const key = email.toLowerCase();
    const existing = this.emails.get(key);
    if (existing !== undefined) {
      return this.users.get(existing) as UserRec;
    }
    const u: UserRec = {
      id: ++this.ids.user,
      firstName,
      lastName,
      email: key,
      password,
      companies: new Set(),
      createdAt: this.clockNow(),
    };
    this.users.set(u.id, u);
    this.emails.set(key, u.id);
    return u;
  }

  private addMember(companyId: string, userId: number, roleIds: number[]): void {
    const c = this.companies.get(companyId) as CompanyRec;
    this.data(c).members.set(userId, new Set(roleIds));
    (this.users.get(userId) as UserRec).companies.add(companyId);
  }

  private addRole(companyId: string, name: string, description: string, permissions: string[]): RoleRec {
    const c = this.companies.get(companyId) as CompanyRec;
    const r: RoleRec = {
      id: ++this.ids.role,
      companyId,
      name,
      description,
      permissions,
      createdAt: this.clockNow(),
    };
    this.data(c).roles.set(r.id, r);
    this.roleIndex.set(r.id, companyId);
    return r;
  }

  private addEvent(
    c: CompanyRec,
    rng: Rng,
    type: string,
    description: string,
    recordId: number | null,
  ): void {
    const d = this.data(c);
    d.events.push({
      id: ++this.ids.event,
      type,
      description,
      recordId,
      subscriptionId: null,
      trackingGuid: randomGuid(rng),
      createdAt: this.clockNow(),
    });
    if (d.events.length > 500) {
      d.events.splice(0, d.events.length - 500);
    }
  }

  // ---------------------------------------------------------------- tokens

  private newToken(prefix: string): string {
    return `${prefix}.${(++this.tokenCounter).toString(36)}.${randomHex(this.tokenRng, 40)}`;
  }

  private registerToken(t: TokenRec): TokenRec {
    this.tokens.set(t.token, t);
    return t;
  }

  /** Issue an access token (+ refresh token) for a user, optionally scoped to a company. */
  issueSession(
    userId: number,
    companyId: string | null,
    chainId?: number,
  ): { access: TokenRec; refresh: string | null; expiresAt: number } {
    const now = this.clockNow();
    const cls: TokenClass = companyId ? 'company' : 'user';
    const chain = chainId ?? ++this.chainCounter;
    const access = this.registerToken({
      token: this.newToken(companyId ? 'ipc' : 'ipu'),
      cls,
      userId,
      companyId,
      expiresAt: now + ACCESS_TOKEN_TTL_MS,
      chainId: chain,
      epoch: this.accessEpoch,
      apiKeyId: null,
      subscriptionId: null,
    });
    let refresh: string | null = null;
    if (chainId === undefined) {
      refresh = this.newToken('ipr');
      this.refreshTokens.set(refresh, {
        chainId: chain,
        expiresAt: now + REFRESH_TOKEN_TTL_MS,
        cls,
        userId,
        companyId,
      });
    }
    if (++this.issuedSincePrune >= 1024) {
      this.prune(now);
    }
    return { access, refresh, expiresAt: now + ACCESS_TOKEN_TTL_MS };
  }

  /** Refresh: the refresh token must belong to the same chain as the access token; scope is kept. */
  refresh(
    accessToken: string,
    refreshToken: string,
  ): { access: TokenRec; refresh: string; expiresAt: number } {
    const r = this.refreshTokens.get(refreshToken);
    const a = this.tokens.get(accessToken);
    const now = this.clockNow();
    if (!r || r.expiresAt <= now) {
      throw err.authExpired();
    }
    if (!a || a.chainId !== r.chainId) {
      throw err.authExpired();
    }
    if (r.companyId && r.userId !== null && !this.canAccess(r.userId, r.companyId)) {
      throw err.companyNotFound(r.companyId);
    }
    if (r.userId === null || !this.users.has(r.userId)) {
      throw err.authExpired();
    }
    const issued = this.issueSession(r.userId, r.companyId, r.chainId);
    return { access: issued.access, refresh: refreshToken, expiresAt: issued.expiresAt };
  }

  /** Access tokens (and their refresh tokens) long past any use are dropped so memory stays bounded. */
  prune(now: number): void {
    this.issuedSincePrune = 0;
    for (const [k, r] of this.refreshTokens) {
      if (r.expiresAt <= now) {
        this.refreshTokens.delete(k);
      }
    }
    for (const [k, t] of this.tokens) {
      if (
        t.expiresAt !== null &&
        (t.cls === 'apikey' ? t.expiresAt <= now : t.expiresAt + REFRESH_TOKEN_TTL_MS <= now)
      ) {
        this.tokens.delete(k);
      }
    }
  }

  /** Still allowed? Re-checks a user-derived company token only when access may have shrunk since. */
  tokenStillValid(t: TokenRec): boolean {
    if (t.cls !== 'company' || t.userId === null || t.companyId === null) {
      return true;
    }
    if (t.epoch === this.accessEpoch) {
      return true;
    }
    if (!this.canAccess(t.userId, t.companyId)) {
      return false;
    }
    t.epoch = this.accessEpoch;
    return true;
  }

  mintApiKey(companyId: string, name: string, expiresInDays: number | null): ApiKeyRec {
    const c = this.companyOrThrow(companyId);
    const now = this.clockNow();
    const key = this.newToken('ipk');
    const rec: ApiKeyRec = {
      id: ++this.ids.apikey,
      companyId: c.id,
      name,
      key,
      expiresAt: expiresInDays === null ? null : now + expiresInDays * 86400000,
      createdAt: now,
    };
    this.data(c).apiKeys.set(rec.id, rec);
    this.registerToken({
      token: key,
      cls: 'apikey',
      userId: null,
      companyId: c.id,
      expiresAt: rec.expiresAt,
      chainId: 0,
      epoch: 0,
      apiKeyId: rec.id,
      subscriptionId: null,
    });
    return rec;
  }

  deleteApiKey(companyId: string, id: number): void {
    const d = this.data(this.companyOrThrow(companyId));
    const rec = d.apiKeys.get(id);
    if (!rec) {
      throw err.notFound('API key', id);
    }
    d.apiKeys.delete(id);
    this.tokens.delete(rec.key);
  }

  // ---------------------------------------------------------------- access

  /** Active role shares of the pair (MiSP/Subscribers reports the count). */
  activeShareCount(mispId: string, subscriberId: string): number {
    let count = 0;
    for (const id of this.sharesByPair.get(`${mispId}|${subscriberId}`) ?? []) {
      if (this.roleShares.get(id)?.status === 'active') {
        count += 1;
      }
    }
    return count;
  }

  private shareActiveFor(mispId: string, subscriberId: string, roleIds: Set<number>): boolean {
    const ids = this.sharesByPair.get(`${mispId}|${subscriberId}`);
    if (!ids) {
      return false;
    }
    for (const id of ids) {
      const s = this.roleShares.get(id);
      if (s && s.status === 'active' && roleIds.has(s.roleId)) {
        return true;
      }
    }
    return false;
  }

  canAccess(userId: number, companyId: string): boolean {
    const u = this.users.get(userId);
    if (!u) {
      return false;
    }
    if (u.companies.has(companyId)) {
      return true;
    }
    const misps = this.subscriberMisps.get(companyId);
    if (!misps) {
      return false;
    }
    for (const m of misps) {
      if (!u.companies.has(m)) {
        continue;
      }
      const roles = this.data(this.companies.get(m) as CompanyRec).members.get(userId);
      if (roles && this.shareActiveFor(m, companyId, roles)) {
        return true;
      }
    }
    return false;
  }

  /** Permission names a user holds in a company: own roles there, else the roles shared by their MiSPs. */
  effectivePermissions(userId: number, companyId: string): string[] {
    const out = new Set<string>();
    const c = this.companies.get(companyId);
    const own = c ? this.data(c).members.get(userId) : undefined;
    if (own) {
      for (const r of own) {
        for (const p of c?.data?.roles.get(r)?.permissions ?? []) {
          out.add(p);
        }
      }
    }
    for (const m of this.subscriberMisps.get(companyId) ?? []) {
      const roles = this.data(this.companies.get(m) as CompanyRec).members.get(userId);
      if (!roles) {
        continue;
      }
      for (const id of this.sharesByPair.get(`${m}|${companyId}`) ?? []) {
        const s = this.roleShares.get(id);
        if (!s || s.status !== 'active' || !roles.has(s.roleId)) {
          continue;
        }
        for (const p of this.data(this.companies.get(m) as CompanyRec).roles.get(s.roleId)?.permissions ??
          []) {
          out.add(p);
        }
      }
    }
    return [...out];
  }

  /** Companies visible to a user: direct memberships first, then subscribers shared with their MiSP roles. */
  userCompanies(userId: number): { company: CompanyRec; userTypeId: number }[] {
    const u = this.users.get(userId);
    if (!u) {
      return [];
    }
    const out: { company: CompanyRec; userTypeId: number }[] = [];
    const seen = new Set<string>();
    for (const id of u.companies) {
      const c = this.companies.get(id);
      if (c) {
        out.push({ company: c, userTypeId: 1 });
        seen.add(id);
      }
    }
    for (const id of u.companies) {
      const rels = this.relationships.get(id);
      if (!rels) {
        continue;
      }
      const roles = this.data(this.companies.get(id) as CompanyRec).members.get(userId);
      if (!roles) {
        continue;
      }
      for (const sub of rels.keys()) {
        if (seen.has(sub) || !this.shareActiveFor(id, sub, roles)) {
          continue;
        }
        seen.add(sub);
        out.push({ company: this.companies.get(sub) as CompanyRec, userTypeId: 2 });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- MiSP lifecycle

  private newRequest(subscriberId: string, mispId: string): SubscriberRequestRec {
    const r: SubscriberRequestRec = {
      id: ++this.ids.request,
      subscriberId,
      mispId,
      status: 'pending',
      createdAt: this.clockNow(),
      decidedAt: null,
    };
    this.subscriberRequests.set(r.id, r);
    return r;
  }

  private newShare(
    mispId: string,
    subscriberId: string,
    roleId: number,
    purpose: string | null,
    durationDays: number | null,
  ): RoleShareRec {
    const s: RoleShareRec = {
      id: ++this.share,
      mispId,
      subscriberId,
      roleId,
      status: 'pending',
      purpose,
      durationDays,
      createdAt: this.clockNow(),
      decidedAt: null,
    };
    this.roleShares.set(s.id, s);
    const key = `${mispId}|${subscriberId}`;
    let set = this.sharesByPair.get(key);
    if (!set) {
      this.sharesByPair.set(key, (set = new Set<number>()));
    }
    set.add(s.id);
    return s;
  }

  private dropShare(s: RoleShareRec): void {
    this.roleShares.delete(s.id);
    this.sharesByPair.get(`${s.mispId}|${s.subscriberId}`)?.delete(s.id);
    if (s.status === 'active') {
      this.accessEpoch++;
    }
  }

  private linkRelationship(mispId: string, subscriberId: string): void {
    let rels = this.relationships.get(mispId);
    if (!rels) {
      this.relationships.set(mispId, (rels = new Map<string, number>()));
    }
    rels.set(subscriberId, this.clockNow());
    let misps = this.subscriberMisps.get(subscriberId);
    if (!misps) {
      this.subscriberMisps.set(subscriberId, (misps = new Set<string>()));
    }
    misps.add(mispId);
  }

  isMisp(companyId: string): boolean {
    return this.companies.get(companyId)?.designationId === DESIGNATION_MISP;
  }

  hasRelationship(mispId: string, subscriberId: string): boolean {
    return this.relationships.get(mispId)?.has(subscriberId) ?? false;
  }

  subscribersOf(mispId: string): { company: CompanyRec; since: number }[] {
    const rels = this.relationships.get(mispId);
    if (!rels) {
      return [];
    }
    return [...rels].map(([id, since]) => ({ company: this.companies.get(id) as CompanyRec, since }));
  }

  /** Subscriber side: ask a MiSP to service this company. */
  requestMisp(subscriberId: string, mispId: string): SubscriberRequestRec {
    const misp = this.company(mispId);
    if (!misp || misp.designationId !== DESIGNATION_MISP) {
      throw err.notFound('MiSP company', mispId);
    }
    const dup =
      this.hasRelationship(misp.id, subscriberId) ||
      [...this.subscriberRequests.values()].some(
        (r) => r.subscriberId === subscriberId && r.mispId === misp.id && r.status === 'pending',
      );
    if (dup) {
      this.stats.duplicate('subscriber_request');
      throw err.duplicate('BIZL-1002', 'A subscriber request or relationship for this company and MiSP');
    }
    return this.newRequest(subscriberId, misp.id);
  }

  decideSubscriberRequest(mispId: string, id: number, approve: boolean): SubscriberRequestRec {
    const r = this.subscriberRequests.get(id);
    if (!r || r.mispId !== mispId) {
      throw err.notFound('Subscriber request', id);
    }
    if (r.status !== 'pending') {
      throw err.rule('BIZL-1009', `Subscriber request ${id} is already ${r.status}.`);
    }
    r.status = approve ? 'approved' : 'denied';
    r.decidedAt = this.clockNow();
    if (approve) {
      this.linkRelationship(mispId, r.subscriberId);
    }
    return r;
  }

  createRoleShare(
    mispId: string,
    subscriberId: string,
    roleId: number,
    purpose: string | null,
    durationDays: number | null,
  ): RoleShareRec {
    const sub = this.company(subscriberId);
    if (!sub || !this.hasRelationship(mispId, sub.id)) {
      throw err.notFound('Subscriber company', subscriberId);
    }
    const role = this.data(this.companies.get(mispId) as CompanyRec).roles.get(roleId);
    if (!role) {
      throw err.notFound('Role', roleId);
    }
    for (const id of this.sharesByPair.get(`${mispId}|${sub.id}`) ?? []) {
      const s = this.roleShares.get(id);
      if (s && s.roleId === roleId && s.status !== 'denied') {
        this.stats.duplicate('role_share');
        throw err.duplicate('BIZL-1002', `A role share of role ${roleId} for company ${sub.id}`);
      }
    }
    return this.newShare(mispId, sub.id, roleId, purpose, durationDays);
  }

  deleteRoleShareAsMisp(mispId: string, id: number): void {
    const s = this.roleShares.get(id);
    if (!s || s.mispId !== mispId) {
      throw err.notFound('Role share', id);
    }
    this.dropShare(s);
  }

  decideRoleShare(subscriberId: string, id: number, approve: boolean): RoleShareRec {
    const s = this.roleShares.get(id);
    if (!s || s.subscriberId !== subscriberId) {
      throw err.notFound('Role share request', id);
    }
    if (s.status !== 'pending') {
      throw err.rule('BIZL-1009', `Role share request ${id} is already ${s.status}.`);
    }
    s.status = approve ? 'active' : 'denied';
    s.decidedAt = this.clockNow();
    return s;
  }

  deleteRoleShareAsSubscriber(subscriberId: string, id: number): void {
    const s = this.roleShares.get(id);
    if (!s || s.subscriberId !== subscriberId) {
      throw err.notFound('Role share request', id);
    }
    this.dropShare(s);
  }

  /** Permanent: ends the relationship and every role share; tokens issued through it stop working. */
  removeSubscriber(mispId: string, subscriberId: string): void {
    const sub = this.company(subscriberId);
    if (!sub || !this.hasRelationship(mispId, sub.id)) {
      throw err.notFound('Subscriber company', subscriberId);
    }
    this.relationships.get(mispId)?.delete(sub.id);
    this.subscriberMisps.get(sub.id)?.delete(mispId);
    for (const id of [...(this.sharesByPair.get(`${mispId}|${sub.id}`) ?? [])]) {
      const s = this.roleShares.get(id);
      if (s) {
        this.dropShare(s);
      }
    }
    this.sharesByPair.delete(`${mispId}|${sub.id}`);
    this.accessEpoch++;
  }

  roleShareView(s: RoleShareRec): Record<string, unknown> {
    const role = this.data(this.companies.get(s.mispId) as CompanyRec).roles.get(s.roleId);
    return {
      id: s.id,
      misp_company_id: s.mispId,
      misp_company_name: this.companies.get(s.mispId)?.name ?? null,
      subscriber_company_id: s.subscriberId,
      subscriber_company_name: this.companies.get(s.subscriberId)?.name ?? null,
      role_id: s.roleId,
      role_name: role?.name ?? null,
      permissions: role ? [...role.permissions] : [],
      status: s.status,
      purpose: s.purpose,
      duration_days: s.durationDays,
      created_date_time: isoAt(s.createdAt),
      decided_date_time: s.decidedAt === null ? null : isoAt(s.decidedAt),
    };
  }

  subscriberRequestView(r: SubscriberRequestRec): Record<string, unknown> {
    return {
      id: r.id,
      subscriber_company_id: r.subscriberId,
      subscriber_company_name: this.companies.get(r.subscriberId)?.name ?? null,
      misp_company_id: r.mispId,
      status: r.status,
      created_date_time: isoAt(r.createdAt),
      decided_date_time: r.decidedAt === null ? null : isoAt(r.decidedAt),
    };
  }

  /** Control helper: a brand-new subscriber company (with an admin user) asking the demo MiSP. */
  newSubscriberWithRequest(name?: string): {
    request: SubscriberRequestRec;
    company: CompanyRec;
    adminEmail: string;
  } {
    if (!this.mispCompanyId) {
      throw new Error('no MiSP company: seed the emulator first');
    }
    const n = this.ids.company + 1;
    const c = this.addCompany(
      name ?? `New Subscriber ${pad(n, 5)}`,
      `new-${pad(n, 5)}.sandbox.test`,
      DESIGNATION_SUBSCRIBER,
    );
    this.data(c);
    const request = this.requestMisp(c.id, this.mispCompanyId);
    return { request, company: c, adminEmail: `admin@${c.domain}` };
  }

  // ---------------------------------------------------------------- company users & roles

  userView(companyId: string, userId: number): Record<string, unknown> {
    const u = this.users.get(userId) as UserRec;
    const roles =
      this.data(this.companies.get(companyId) as CompanyRec).members.get(userId) ?? new Set<number>();
    return {
      id: u.id,
      first_name: u.firstName,
      last_name: u.lastName,
      email_address: u.email,
      company_id: companyId,
      role_ids: [...roles],
      created_date_time: isoAt(u.createdAt),
    };
  }

  listUsers(companyId: string): number[] {
    return [...this.data(this.companyOrThrow(companyId)).members.keys()];
  }

  private checkRoleIds(companyId: string, roleIds: number[]): void {
    const roles = this.data(this.companies.get(companyId) as CompanyRec).roles;
    for (const id of roleIds) {
      if (!roles.has(id)) {
        throw err.notFound('Role', id);
      }
    }
  }

  createUser(
    companyId: string,
    input: { email: string; firstName: string; lastName: string; password: string | null; roleIds: number[] },
  ): number {
    this.checkRoleIds(companyId, input.roleIds);
    const existing = this.userByEmail(input.email);
    if (existing && existing.companies.has(companyId)) {
      this.stats.duplicate('company_user');
      throw err.duplicate('BIZL-1001', `A user with email ${input.email} in this company`);
    }
    const u = existing ?? this.ensureUser(input.email, input.firstName, input.lastName, input.password ?? '');
    this.addMember(companyId, u.id, input.roleIds);
    return u.id;
  }

  private memberRoles(companyId: string, userId: number): Set<number> {
    const roles = this.data(this.companyOrThrow(companyId)).members.get(userId);
    if (!roles) {
      throw err.notFound('User', userId);
    }
    return roles;
  }

  getUser(companyId: string, userId: number): Record<string, unknown> {
    this.memberRoles(companyId, userId);
    return this.userView(companyId, userId);
  }

  updateUser(
    companyId: string,
    userId: number,
    input: { firstName?: string; lastName?: string; roleIds?: number[] },
  ): Record<string, unknown> {
    const roles = this.memberRoles(companyId, userId);
    const u = this.users.get(userId) as UserRec;
    if (input.firstName !== undefined) {
      u.firstName = input.firstName;
    }
    if (input.lastName !== undefined) {
      u.lastName = input.lastName;
    }
    if (input.roleIds) {
      this.checkRoleIds(companyId, input.roleIds);
      const next = new Set(input.roleIds);
      for (const r of roles) {
        if (!next.has(r)) {
          this.accessEpoch++;
        }
      }
      roles.clear();
      for (const r of next) {
        roles.add(r);
      }
    }
    return this.userView(companyId, userId);
  }

  deleteUser(companyId: string, userId: number): void {
    this.memberRoles(companyId, userId);
    this.data(this.companies.get(companyId) as CompanyRec).members.delete(userId);
    this.users.get(userId)?.companies.delete(companyId);
    this.accessEpoch++;
  }

  roleView(r: RoleRec): Record<string, unknown> {
    return {
      id: r.id,
      company_id: r.companyId,
      name: r.name,
      description: r.description,
      permissions: [...r.permissions],
      created_date_time: isoAt(r.createdAt),
    };
  }

  listRoles(companyId: string): RoleRec[] {
    return [...this.data(this.companyOrThrow(companyId)).roles.values()];
  }

  role(companyId: string, roleId: number): RoleRec {
    const r = this.data(this.companyOrThrow(companyId)).roles.get(roleId);
    if (!r) {
      throw err.notFound('Role', roleId);
    }
    return r;
  }

  private sameNameRole(companyId: string, name: string, exceptId: number | null): boolean {
    const lower = name.trim().toLowerCase();
    for (const r of this.listRoles(companyId)) {
      if (r.id !== exceptId && r.name.toLowerCase() === lower) {
        return true;
      }
    }
    return false;
  }

  private roleShared(roleId: number): boolean {
    for (const s of this.roleShares.values()) {
      if (s.roleId === roleId && s.status !== 'denied') {
        return true;
      }
    }
    return false;
  }

  createRole(companyId: string, name: string, description: string, permissions: string[]): RoleRec {
    if (this.sameNameRole(companyId, name, null)) {
      this.stats.duplicate('role');
      throw err.duplicate('BIZL-1006', `A role named ${name} in this company`);
    }
    return this.addRole(companyId, name.trim(), description, permissions);
  }

  updateRole(
    companyId: string,
    roleId: number,
    input: { name?: string; description?: string; permissions?: string[] },
  ): RoleRec {
    const r = this.role(companyId, roleId);
    if (input.name !== undefined && this.sameNameRole(companyId, input.name, roleId)) {
      throw err.duplicate('BIZL-1006', `A role named ${input.name} in this company`);
    }
    if (input.permissions && this.roleShared(roleId)) {
      const same =
        input.permissions.length === r.permissions.length &&
        input.permissions.every((p) => r.permissions.includes(p));
      if (!same) {
        throw err.rule(
          'BIZL-1010',
          `Role ${roleId} is used by a role share; its permissions cannot be changed.`,
        );
      }
    }
    if (input.name !== undefined) {
      r.name = input.name.trim();
    }
    if (input.description !== undefined) {
      r.description = input.description;
    }
    if (input.permissions) {
      r.permissions = [...input.permissions];
    }
    return r;
  }

  deleteRole(companyId: string, roleId: number): void {
    this.role(companyId, roleId);
    if (this.roleShared(roleId)) {
      throw err.rule('BIZL-1010', `Role ${roleId} is used by a role share and cannot be deleted.`);
    }
    const d = this.data(this.companies.get(companyId) as CompanyRec);
    d.roles.delete(roleId);
    this.roleIndex.delete(roleId);
    for (const roles of d.members.values()) {
      roles.delete(roleId);
    }
    this.accessEpoch++;
  }

  assignRole(companyId: string, roleId: number, userId: number): Record<string, unknown> {
    this.role(companyId, roleId);
    const roles = this.memberRoles(companyId, userId);
    if (roles.has(roleId)) {
      this.stats.duplicate('role_assignment');
      throw err.duplicate('BIZL-1004', `Role ${roleId} for user ${userId}`);
    }
    roles.add(roleId);
    return this.userView(companyId, userId);
  }

  unassignRole(companyId: string, roleId: number, userId: number): void {
    this.role(companyId, roleId);
    const roles = this.memberRoles(companyId, userId);
    if (!roles.delete(roleId)) {
      throw err.notFound('Role assignment', `${roleId}/${userId}`);
    }
    this.accessEpoch++;
  }

  // ---------------------------------------------------------------- subscriptions & events

  subscriptions(companyId: string): SubscriptionRec[] {
    return [...this.data(this.companyOrThrow(companyId)).subscriptions.values()];
  }

  subscription(companyId: string, id: number): SubscriptionRec {
    const s = this.data(this.companyOrThrow(companyId)).subscriptions.get(id);
    if (!s) {
      throw err.notFound('Subscription', id);
    }
    return s;
  }

  /** Persistent data is an upsert by name: never a create in the duplicate sense. */
  upsertPersistentData(companyId: string, id: number, items: PersistentDatum[]): PersistentDatum[] {
    const s = this.subscription(companyId, id);
    for (const it of items) {
      s.persistentData.set(it.name, { ...it });
    }
    return items.map((it) => ({ ...(s.persistentData.get(it.name) as PersistentDatum) }));
  }

  events(companyId: string): EventRec[] {
    return this.data(this.companyOrThrow(companyId)).events;
  }

  // ---------------------------------------------------------------- customers

  customerView(c: CustomerRec): Record<string, unknown> {
    return {
      id: c.id,
      tracking_guid: c.trackingGuid,
      first_name: c.firstName,
      last_name: c.lastName,
      email_address: c.email,
      company: c.company,
      phone_number: c.phone,
      custom_fields: c.customFields.map((f) => ({ ...f })),
      external_ids: c.externalIds.map((e) => ({ ...e })),
      created_date_time: isoAt(c.createdAt),
      updated_date_time: isoAt(c.updatedAt),
    };
  }

  customers(companyId: string): CustomerRec[] {
    return [...this.data(this.companyOrThrow(companyId)).customers.values()];
  }

  customer(companyId: string, id: number): CustomerRec {
    const c = this.data(this.companyOrThrow(companyId)).customers.get(id);
    if (!c) {
      throw err.notFound('Customer', id);
    }
    return c;
  }

  private customerConflict(
    companyId: string,
    email: string,
    ext: ExternalId[],
    exceptId: number | null,
  ): 'email' | 'external' | null {
    for (const c of this.data(this.companies.get(companyId) as CompanyRec).customers.values()) {
      if (c.id === exceptId) {
        continue;
      }
      if (c.email === email) {
        return 'email';
      }
      for (const e of ext) {
        if (c.externalIds.some((x) => x.system_id === e.system_id && x.external_id === e.external_id)) {
          return 'external';
        }
      }
    }
    return null;
  }

  private insertCustomer(
    company: CompanyRec,
    rng: Rng,
    input: Omit<CustomerRec, 'id' | 'trackingGuid' | 'createdAt' | 'updatedAt'>,
    emitEvent: boolean,
  ): CustomerRec {
    const now = this.clockNow();
    const id = ++this.ids.customer;
    const c: CustomerRec = {
      ...input,
      id,
      trackingGuid: randomGuid(rng),
      externalIds: input.externalIds.map((e) => ({ ...e, internal_id: id })),
      createdAt: now,
      updatedAt: now,
    };
    this.data(company).customers.set(id, c);
    if (emitEvent) {
      this.addEvent(company, rng, 'customer/created', `Customer ${id} created`, id);
    }
    return c;
  }

  createCustomer(
    companyId: string,
    input: Omit<CustomerRec, 'id' | 'trackingGuid' | 'createdAt' | 'updatedAt'>,
  ): CustomerRec {
    const company = this.companyOrThrow(companyId);
    const conflict = this.customerConflict(company.id, input.email, input.externalIds, null);
    if (conflict) {
      this.stats.duplicate(conflict === 'email' ? 'customer_email' : 'customer_external_id');
      throw conflict === 'email'
        ? err.duplicate('BIZL-1006', `A customer with email address ${input.email}`)
        : err.duplicate('BIZL-1003', 'A customer with this external id');
    }
    return this.insertCustomer(company, this.idRng, input, true);
  }

  updateCustomer(
    companyId: string,
    id: number,
    patch: Partial<Omit<CustomerRec, 'id' | 'trackingGuid' | 'createdAt' | 'updatedAt'>>,
  ): CustomerRec {
    const c = this.customer(companyId, id);
    const email = patch.email ?? c.email;
    const ext = patch.externalIds ?? [];
    const conflict = this.customerConflict(companyId, email, ext, id);
    if (conflict === 'email') {
      throw err.duplicate('BIZL-1006', `A customer with email address ${email}`);
    }
    if (conflict === 'external') {
      throw err.duplicate('BIZL-1003', 'A customer with this external id');
    }
    Object.assign(c, patch);
    if (patch.externalIds) {
      c.externalIds = patch.externalIds.map((e) => ({ ...e, internal_id: id }));
    }
    c.updatedAt = this.clockNow();
    this.addEvent(
      this.companies.get(companyId) as CompanyRec,
      this.idRng,
      'customer/updated',
      `Customer ${id} updated`,
      id,
    );
    return c;
  }

  deleteCustomer(companyId: string, id: number): void {
    this.customer(companyId, id);
    this.data(this.companies.get(companyId) as CompanyRec).customers.delete(id);
    this.addEvent(
      this.companies.get(companyId) as CompanyRec,
      this.idRng,
      'customer/deleted',
      `Customer ${id} deleted`,
      id,
    );
  }
}
