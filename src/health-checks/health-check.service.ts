import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AlertsService } from '../alerts/alerts.service';
import { Clock } from '../common/time/clock';
import { CompanyVendorService } from '../company-context/company-vendor.service';
import { AppConfig } from '../config/app-config';
import { CredentialsService, type StoredCompanyCredential } from '../credentials/credentials.service';
import { isVendorMispSubscriber } from '../relationships/misp-wire.types';
import { MispVendorService } from '../relationships/misp-vendor.service';
import { type Subscriber, SubscribersService } from '../subscribers/subscribers.service';
import { IdGenerator } from '../subscribers/id-generator';
import { HealthCheckResultEntity } from './health-check-result.entity';
import { HealthChecksRepository } from './health-checks.repository';
import {
  alertKindOf,
  confirmedTransition,
  expiryFinding,
  type Finding,
  findingOf,
  HEALTHY,
  listingFinding,
  needsConfirmation,
  worstOf,
} from './health-evaluation';

export interface HealthCheckOutcome {
  result: HealthCheckResultEntity;
  /** Vendor HTTP attempts of the read (token mints not included). */
  vendorCalls: number;
}

interface Probe {
  finding: Finding;
  latencyMs: number | null;
  vendorCalls: number;
}

/** The MiSP's subscriber list as a sweep last read it. */
interface MispListing {
  companyIds: ReadonlySet<string>;
  readAt: Date;
}

const EXPIRING = 'CREDENTIAL_EXPIRING';

/**
 * One health check: stored credential usable → company token obtainable → a cheap read (first page of
 * subscriptions, page size 1) with its latency; a company whose monthly allowance is used up is degraded
 * without a call. Also judged, without a call: a stored API key expiring within HEALTH_EXPIRY_WARN_DAYS
 * (degraded), and the company missing from the MiSP's subscriber list that the last sweep read once for all
 * companies (unhealthy). The result is stored; a confirmed status change updates the registry row and
 * raises one alert.
 */
@Injectable()
export class HealthCheckService {
  /** One check per subscriber at a time, so two concurrent checks cannot raise the same alert twice. */
  private readonly inFlight = new Map<string, Promise<HealthCheckOutcome>>();
  private listing: MispListing | null = null;

  constructor(
    private readonly subscribers: SubscribersService,
    private readonly credentials: CredentialsService,
    private readonly vendor: CompanyVendorService,
    private readonly misp: MispVendorService,
    private readonly repository: HealthChecksRepository,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly config: AppConfig,
    @InjectPinoLogger(HealthCheckService.name) private readonly logger: PinoLogger,
  ) {}

  /** `known`: the subscriber's row when the caller has just read it (a sweep reads them in pages). */
  check(subscriberId: string, known?: Subscriber): Promise<HealthCheckOutcome> {
    const pending = this.inFlight.get(subscriberId);
    if (pending !== undefined) {
      return pending;
    }
    const started = this.run(subscriberId, known).finally(() => this.inFlight.delete(subscriberId));
    this.inFlight.set(subscriberId, started);
    return started;
  }

  /**
   * Reads the MiSP's subscriber list (every page) for the checks that follow: once per sweep, not once per
   * company. When it cannot be read the previous list stays in use (a vendor outage shows in each check).
   */
  async refreshMispListing(): Promise<void> {
    const readAt = this.clock.now();
    try {
      const subscribers = await this.misp.list<unknown>('mispSubscribers');
      const companyIds = new Set(subscribers.filter(isVendorMispSubscriber).map((entry) => entry.company_id));
      this.listing = { companyIds, readAt };
    } catch (error) {
      this.logger.warn({ err: error }, 'MiSP subscriber list not read; the previous one stays in use');
    }
  }

  private async run(subscriberId: string, known: Subscriber | undefined): Promise<HealthCheckOutcome> {
    const subscriber = known ?? (await this.subscribers.get(subscriberId));
    SubscribersService.refuseWhenHalted(subscriber);
    const credential = await this.openCredential(subscriber.id);
    const access = await this.probe(subscriber, credential);
    const finding = worstOf([access.finding, ...this.standing(subscriber, credential)]);
    const result = Object.assign(new HealthCheckResultEntity(), {
      id: this.ids.newId(),
      subscriberId,
      status: finding.status,
      reasons: finding.reasons.join(','),
      latencyMs: access.latencyMs,
      checkedAt: this.clock.now(),
    });
    // The history row is the source of truth and is written first: if the process dies before the registry
    // row is updated, the next check derives the same transition again (so no transaction is needed).
    await this.repository.insert(result);
    await this.applyTransition(subscriber, result, finding);
    return { result, vendorCalls: access.vendorCalls };
  }

  /** The stored credential, decrypted (proving it opens); null when there is none; the finding when it does not open. */
  private async openCredential(subscriberId: string): Promise<StoredCompanyCredential | null | Finding> {
    try {
      return await this.credentials.loadCompanyCredential(subscriberId);
    } catch (error) {
      return findingOf(error);
    }
  }

  /** True when the MiSP list last read leaves this company out (so a check would find it unhealthy). */
  isUnlisted(subscriber: Subscriber): boolean {
    return this.listingFindingOf(subscriber).status !== 'healthy';
  }

  private listingFindingOf(subscriber: Subscriber): Finding {
    // A company registered after the list was read may simply be too new for it: not judged until the next sweep.
    const listing = this.listing;
    const listed =
      listing !== null && subscriber.createdAt.getTime() <= listing.readAt.getTime()
        ? listing.companyIds
        : null;
    return listingFinding(subscriber.ipaasCompanyId, listed);
  }

  /** The criteria judged from what Tenantry already knows, without a vendor call. */
  private standing(subscriber: Subscriber, credential: StoredCompanyCredential | null | Finding): Finding[] {
    return [
      // No credential (or one the vault cannot open) is reported by the access probe; nothing expires here.
      expiryFinding(
        credential === null || 'reasons' in credential ? null : credential,
        this.clock.nowMs(),
        this.config.healthChecks.expiryWarnDays,
      ),
      this.listingFindingOf(subscriber),
    ];
  }

  private async probe(
    subscriber: Subscriber,
    credential: StoredCompanyCredential | null | Finding,
  ): Promise<Probe> {
    const until = subscriber.quotaExhaustedUntil;
    if (until !== null && until.getTime() > this.clock.nowMs()) {
      return {
        finding: { status: 'degraded', reasons: ['QUOTA_EXHAUSTED'] },
        latencyMs: null,
        vendorCalls: 0,
      };
    }
    if (credential !== null && 'reasons' in credential) {
      return { finding: credential, latencyMs: null, vendorCalls: 0 };
    }
    if (credential?.status === 'invalid') {
      return {
        finding: { status: 'unhealthy', reasons: ['CREDENTIAL_INVALID'] },
        latencyMs: null,
        vendorCalls: 0,
      };
    }
    const started = this.clock.nowMs();
    try {
      const response = await this.vendor.call(subscriber, 'listSubscriptions', {
        query: { pageNumber: 1, pageSize: 1 },
        // Same vendor limit as provisioning, yielding to it: a sweep must not slow a bulk job down.
        priority: 'low',
      });
      return { finding: HEALTHY, latencyMs: this.clock.nowMs() - started, vendorCalls: response.attempts };
    } catch (error) {
      const attempts = (error as { details?: { attempts?: unknown } }).details?.attempts;
      return {
        finding: findingOf(error),
        latencyMs: this.clock.nowMs() - started,
        vendorCalls: typeof attempts === 'number' ? attempts : 1,
      };
    }
  }

  private async applyTransition(
    subscriber: Subscriber,
    result: HealthCheckResultEntity,
    finding: Finding,
  ): Promise<void> {
    const confirmations = this.config.healthChecks.alertConfirmations;
    // Most checks confirm the current status or report a better one: no need to read the history for those.
    const needsHistory =
      finding.reasons.includes(EXPIRING) || needsConfirmation(subscriber.healthStatus, result.status);
    const recent = needsHistory
      ? await this.repository.recentResults(subscriber.id, Math.max(confirmations, 2))
      : [result];
    // Expiry is a date, not a flaky observation: alerted on the first check that sees it, without confirmations.
    const expiringFrom =
      finding.reasons.includes(EXPIRING) && !(recent[1]?.reasons.includes(EXPIRING) ?? false);
    if (expiringFrom) {
      await this.alerts.raise({
        subscriberId: subscriber.id,
        kind: 'credential.expiring',
        from: subscriber.healthStatus,
        to: result.status,
        reasons: finding.reasons,
        at: result.checkedAt,
      });
    }
    const to = confirmedTransition(
      subscriber.healthStatus,
      recent.map((entry) => entry.status),
      confirmations,
    );
    if (to === null) {
      return;
    }
    await this.repository.setSubscriberHealth(subscriber.id, to, result.checkedAt);
    const kind = alertKindOf(subscriber.healthStatus, to);
    this.logger.info({ subscriberId: subscriber.id, from: subscriber.healthStatus, to }, 'health changed');
    // Degraded by the expiry alone: the credential.expiring alert already told of it (one alert per change).
    const onlyExpiring = finding.reasons.length === 1 && finding.reasons[0] === EXPIRING;
    if (kind !== null && !(kind === 'health.degraded' && onlyExpiring)) {
      await this.alerts.raise({
        subscriberId: subscriber.id,
        kind,
        from: subscriber.healthStatus,
        to,
        reasons: finding.reasons,
        at: result.checkedAt,
      });
    }
  }
}
