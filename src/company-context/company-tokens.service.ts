import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';

import { ClusterLeases } from '../cluster/cluster-leases.service';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { DomainEvents } from '../common/events/domain-events';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { CredentialsService } from '../credentials/credentials.service';
import { IpaasClient } from '../ipaas/ipaas-client';
import { collectPages } from '../ipaas/paginate';
import { VendorError } from '../ipaas/vendor-error';
import { MetricsService } from '../metrics/metrics.service';
import { SubscribersService } from '../subscribers/subscribers.service';
import {
  hasDesignation,
  isLoginResponse,
  type VendorLoginResponse,
  type VendorUserCompany,
} from './vendor-wire.types';

export interface CompanyToken {
  kind: 'api_key' | 'company_session';
  value: string;
  /** Null for API keys (their expiry is the vendor's business). */
  expiresAt: Date | null;
}

interface MispSession {
  userId: number;
  accessToken: string;
  expiresAt: number;
}

/** A token of the MiSP's own company: the MiSP/* routes (subscriber requests, role shares) need it. */
export interface MispCompanyToken {
  token: string;
  mispCompanyId: string;
}

/** Calls made with the MiSP user token (Login, ChangeCompany) share one lane, limited like a company's. */
export const MISP_LANE = 'misp';

/**
 * Company context: a valid company-scoped token for a subscriber, from memory → vault → Auth/Refresh →
 * ChangeCompany (with the MiSP user token; login when needed). One mint in flight per company and one login
 * per MiSP account, however many callers wait (single-flight); on PostgreSQL also one per company across all
 * instances (a `token-mint:` lease). Tokens are renewed a margin before expiry.
 */
@Injectable()
export class CompanyTokensService {
  private readonly cache = new Map<string, CompanyToken>();
  /** Keyed by subscriber id, or MISP_LANE for the MiSP company token (never a UUID, so no clash). */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private mispSession: MispSession | undefined;
  private mispLogin: Promise<MispSession> | undefined;
  /** Memory only, like the MiSP user session: re-minted through ChangeCompany after a restart. */
  private mispCompanyToken: (MispCompanyToken & { expiresAt: number }) | undefined;
  private discoveredMispCompanyId: string | undefined;
  private readonly mints: Counter<'via'>;
  private readonly marginMs: number;
  private readonly configuredMispCompanyId: string | undefined;

  constructor(
    private readonly client: IpaasClient,
    private readonly credentials: CredentialsService,
    private readonly subscribers: SubscribersService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    private readonly leases: ClusterLeases,
    config: AppConfig,
    metrics: MetricsService,
    @InjectPinoLogger(CompanyTokensService.name) private readonly logger: PinoLogger,
  ) {
    this.marginMs = config.ipaas.tokenRefreshMarginMs;
    this.configuredMispCompanyId = config.misp.companyId;
    this.mints = new Counter({
      name: 'ipaas_company_token_mints_total',
      help: 'Company tokens obtained from iPaaS.com, by ChangeCompany or refresh',
      labelNames: ['via'] as const,
      registers: [metrics.registry],
    });
  }

  /** A valid company token; `forceRenew` skips memory and stored sessions (after the vendor refused one). */
  forCompany(subscriberId: string, options: { forceRenew?: boolean } = {}): Promise<CompanyToken> {
    const cached = this.cache.get(subscriberId);
    if (!options.forceRenew && cached !== undefined && this.isFresh(cached)) {
      return Promise.resolve(cached);
    }
    return this.singleFlight(subscriberId, () =>
      // Across instances too: one resolves (and maybe mints) while the others wait, then find its token stored.
      this.leases.exclusively(`token-mint:${subscriberId}`, () =>
        this.resolve(subscriberId, options.forceRenew === true),
      ),
    );
  }

  /**
   * Mints a new company session through ChangeCompany whatever is stored (staff replacing an invalid or
   * expired credential). The stored row changes only when the vendor answers.
   */
  renewSession(subscriberId: string): Promise<CompanyToken> {
    return this.singleFlight(subscriberId, () =>
      this.leases.exclusively(`token-mint:${subscriberId}`, async () => {
        const subscriber = await this.subscribers.get(subscriberId);
        return this.mint(subscriberId, subscriber.ipaasCompanyId);
      }),
    );
  }

  /**
   * A token of the MiSP's own company (ChangeCompany to it as the MiSP user), kept in memory until a margin
   * before it expires; one mint in flight however many callers wait. `forceRenew` after the vendor refused it.
   */
  forMispCompany(options: { forceRenew?: boolean } = {}): Promise<MispCompanyToken> {
    const cached = this.mispCompanyToken;
    if (
      !options.forceRenew &&
      cached !== undefined &&
      cached.expiresAt - this.marginMs > this.clock.nowMs()
    ) {
      return Promise.resolve({ token: cached.token, mispCompanyId: cached.mispCompanyId });
    }
    return this.singleFlight(MISP_LANE, async () => {
      const mispCompanyId = await this.mispCompanyId();
      const login = await this.changeCompanyAsMisp(mispCompanyId);
      this.mispCompanyToken = {
        token: login.access_token,
        mispCompanyId,
        expiresAt: Date.parse(login.access_token_expiration),
      };
      this.mints.inc({ via: 'change_company' });
      return { token: login.access_token, mispCompanyId };
    });
  }

  /** Every company the MiSP user can access (its own, and subscribers it is shared into), all pages. */
  mispUserCompanies(): Promise<VendorUserCompany[]> {
    return this.asMispUser((session) =>
      collectPages(
        this.client.paginate<VendorUserCompany>(
          'userCompanies',
          { lane: MISP_LANE, token: session.accessToken, params: { userId: session.userId } },
          // Read in full like the MiSP lists (src/relationships/misp-vendor.service.ts FULL_LIST_PAGE_SIZE).
          { pageSize: 1000 },
        ),
      ),
    );
  }

  /** Joins the work already in flight under `key`, or starts `work` as the one every caller waits for. */
  private singleFlight<T>(key: string, work: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending !== undefined) {
      return pending as Promise<T>;
    }
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  /** IPAAS_MISP_COMPANY_ID, or the one company designated MiSP among the MiSP user's companies. */
  private async mispCompanyId(): Promise<string> {
    if (this.configuredMispCompanyId !== undefined) {
      return this.configuredMispCompanyId;
    }
    if (this.discoveredMispCompanyId === undefined) {
      const misps = (await this.mispUserCompanies()).filter((company) => hasDesignation(company, 'MiSP'));
      if (misps.length !== 1) {
        throw new AppError(
          ErrorCode.MISP_COMPANY_UNRESOLVED,
          `The MiSP user can access ${misps.length} companies designated MiSP; set IPAAS_MISP_COMPANY_ID`,
        );
      }
      this.discoveredMispCompanyId = misps[0].id;
    }
    return this.discoveredMispCompanyId;
  }

  /** Forget what memory holds for a company (credential replaced, deleted or refused). */
  invalidate(subscriberId: string): void {
    this.cache.delete(subscriberId);
  }

  /** Forget the MiSP user session and company token (the login was replaced, perhaps by another MiSP's). */
  invalidateMispSession(): void {
    this.mispSession = undefined;
    this.mispCompanyToken = undefined;
    this.discoveredMispCompanyId = undefined;
  }

  /** Logs in with the given MiSP credentials (PUT /v1/misp-account verification); never cached. */
  async verifyMispLogin(email: string, password: string): Promise<VendorLoginResponse> {
    try {
      const response = await this.client.call<unknown>('login', {
        lane: MISP_LANE,
        body: { email_address: email, password },
      });
      return this.expectLogin(response.data, 'Auth/Login');
    } catch (error) {
      if (error instanceof VendorError && (error.kind === 'auth' || error.kind === 'validation')) {
        throw new AppError(
          ErrorCode.VENDOR_LOGIN_FAILED,
          `iPaaS.com refused the MiSP login: ${error.message}`,
        );
      }
      throw error;
    }
  }

  private isFresh(token: CompanyToken): boolean {
    return token.expiresAt === null || token.expiresAt.getTime() - this.marginMs > this.clock.nowMs();
  }

  private async resolve(subscriberId: string, forceRenew: boolean): Promise<CompanyToken> {
    const subscriber = await this.subscribers.get(subscriberId);
    const stored = await this.credentials.loadCompanyCredential(subscriberId);
    if (stored?.status === 'invalid') {
      this.cache.delete(subscriberId);
      throw new AppError(
        ErrorCode.CREDENTIAL_INVALID,
        `The credential of subscriber ${subscriberId} is invalid (${stored.invalidReason ?? 'refused by iPaaS.com'})`,
      );
    }
    if (stored?.kind === 'api_key') {
      // API keys are company tokens already: never ChangeCompany, never refreshed.
      return this.remember(subscriberId, { kind: 'api_key', value: stored.apiKey, expiresAt: null });
    }
    if (stored?.kind === 'company_session' && !forceRenew) {
      const session: CompanyToken = {
        kind: 'company_session',
        value: stored.accessToken,
        expiresAt: stored.expiresAt,
      };
      if (this.isFresh(session)) {
        return this.remember(subscriberId, session);
      }
    }
    if (stored?.kind === 'company_session' && stored.refreshToken !== null) {
      const refreshed = await this.tryRefresh(
        subscriberId,
        subscriber.ipaasCompanyId,
        stored.accessToken,
        stored.refreshToken,
      );
      if (refreshed !== undefined) {
        return refreshed;
      }
    }
    return this.mint(subscriberId, subscriber.ipaasCompanyId);
  }

  private async tryRefresh(
    subscriberId: string,
    ipaasCompanyId: string,
    accessToken: string,
    refreshToken: string,
  ): Promise<CompanyToken | undefined> {
    try {
      const response = await this.client.call<unknown>('refresh', {
        lane: subscriberId,
        subscriberId,
        body: { access_token: accessToken, refresh_token: refreshToken },
      });
      const login = this.expectLogin(response.data, 'Auth/Refresh');
      return await this.store(subscriberId, ipaasCompanyId, login, refreshToken, 'refresh');
    } catch (error) {
      // A refused refresh token is not fatal: ChangeCompany mints a fresh session.
      if (error instanceof VendorError && (error.kind === 'auth' || error.kind === 'validation')) {
        this.logger.info({ subscriberId }, 'company token refresh refused; minting through ChangeCompany');
        return undefined;
      }
      throw error;
    }
  }

  private async mint(subscriberId: string, ipaasCompanyId: string): Promise<CompanyToken> {
    let login: VendorLoginResponse;
    try {
      login = await this.changeCompanyAsMisp(ipaasCompanyId, subscriberId);
    } catch (error) {
      if (!(error instanceof VendorError) || error.kind !== 'auth') {
        throw error;
      }
      await this.invalidateCompany(subscriberId, `ChangeCompany refused: ${error.message}`);
      throw new AppError(
        ErrorCode.CREDENTIAL_INVALID,
        `iPaaS.com refused ChangeCompany for subscriber ${subscriberId}: ${error.message}`,
      );
    }
    return this.store(subscriberId, ipaasCompanyId, login, login.refresh_token ?? null, 'change_company');
  }

  /** ChangeCompany is a call of the MiSP user (its token), so it shares the MiSP lane's limits. */
  private changeCompanyAsMisp(companyId: string, subscriberId?: string): Promise<VendorLoginResponse> {
    return this.asMispUser(async (session) => {
      const response = await this.client.call<unknown>('changeCompany', {
        lane: MISP_LANE,
        subscriberId,
        token: session.accessToken,
        params: { companyId },
      });
      return this.expectLogin(response.data, 'User/ChangeCompany');
    });
  }

  /**
   * Runs `work` with the MiSP user session. On a 401, perhaps only the user token went stale: it logs in
   * again once and retries before the refusal is handed back.
   */
  private async asMispUser<T>(work: (session: MispSession) => Promise<T>): Promise<T> {
    for (let loginAttempt = 0; ; loginAttempt += 1) {
      const session = await this.mispUserSession(loginAttempt > 0);
      try {
        return await work(session);
      } catch (error) {
        if (loginAttempt > 0 || !(error instanceof VendorError) || error.kind !== 'auth') {
          throw error;
        }
      }
    }
  }

  private async store(
    subscriberId: string,
    ipaasCompanyId: string,
    login: VendorLoginResponse,
    refreshToken: string | null,
    via: 'change_company' | 'refresh',
  ): Promise<CompanyToken> {
    const expiresAt = new Date(login.access_token_expiration);
    await this.credentials.saveCompanySession(subscriberId, {
      accessToken: login.access_token,
      refreshToken: login.refresh_token ?? refreshToken,
      expiresAt,
    });
    this.mints.inc({ via });
    this.events.emit({ type: 'company_token.minted', subscriberId, ipaasCompanyId, via });
    return this.remember(subscriberId, { kind: 'company_session', value: login.access_token, expiresAt });
  }

  /** Marks the stored credential invalid (when there is one) so no further calls are made. */
  async invalidateCompany(subscriberId: string, reason: string): Promise<void> {
    this.cache.delete(subscriberId);
    try {
      await this.credentials.markCredentialInvalid(subscriberId, reason);
    } catch (error) {
      // A company with no stored credential yet (first mint refused) has nothing to mark.
      if (!(error instanceof AppError) || error.code !== ErrorCode.NOT_FOUND) {
        throw error;
      }
    }
    this.events.emit({ type: 'company_credential.invalidated', subscriberId, reason });
  }

  private remember(subscriberId: string, token: CompanyToken): CompanyToken {
    this.cache.set(subscriberId, token);
    return token;
  }

  private mispUserSession(forceLogin: boolean): Promise<MispSession> {
    const session = this.mispSession;
    if (!forceLogin && session !== undefined && session.expiresAt - this.marginMs > this.clock.nowMs()) {
      return Promise.resolve(session);
    }
    if (this.mispLogin === undefined) {
      this.mispLogin = this.loginAsMisp().finally(() => {
        this.mispLogin = undefined;
      });
    }
    return this.mispLogin;
  }

  private async loginAsMisp(): Promise<MispSession> {
    const login = await this.credentials.loadMispLogin();
    if (login === null) {
      throw new AppError(ErrorCode.MISP_ACCOUNT_MISSING, 'Store the MiSP login first: PUT /v1/misp-account');
    }
    const response = await this.verifyMispLogin(login.email, login.password);
    const session = {
      userId: response.id,
      accessToken: response.access_token,
      expiresAt: Date.parse(response.access_token_expiration),
    };
    this.mispSession = session;
    this.events.emit({ type: 'misp_account.logged_in', vendorUserId: response.id });
    return session;
  }

  private expectLogin(data: unknown, operation: string): VendorLoginResponse {
    if (!isLoginResponse(data)) {
      throw new VendorError('protocol', `${operation} answered without access_token/access_token_expiration`);
    }
    return data;
  }
}
