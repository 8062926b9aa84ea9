import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AlertsService } from '../alerts/alerts.service';
import { Clock } from '../common/time/clock';
import { CompanyVendorService } from '../company-context/company-vendor.service';
import { AppConfig } from '../config/app-config';
import { CredentialsService } from '../credentials/credentials.service';
import { type Subscriber, SubscribersService } from '../subscribers/subscribers.service';
import { IdGenerator } from '../subscribers/id-generator';
import { HealthCheckResultEntity } from './health-check-result.entity';
import { HealthChecksRepository } from './health-checks.repository';
import { alertKindOf, confirmedTransition, type Finding, findingOf, HEALTHY } from './health-evaluation';

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

/**
 * One health check: stored credential usable → company token obtainable → a cheap read (first page of
 * subscriptions, page size 1) with its latency; a company whose monthly allowance is used up is degraded
 * without a call. The result is stored; a confirmed status change updates the registry row and raises one
 * alert. Not checked (see README): "still listed for the MiSP" (a full UserCompanies scan per company; the
 * registry sync covers it) and credential expiry (only access-token expiry is stored, renewed automatically).
 */
@Injectable()
export class HealthCheckService {
  /** One check per subscriber at a time, so two concurrent checks cannot raise the same alert twice. */
  private readonly inFlight = new Map<string, Promise<HealthCheckOutcome>>();

  constructor(
    private readonly subscribers: SubscribersService,
    private readonly credentials: CredentialsService,
    private readonly vendor: CompanyVendorService,
    private readonly repository: HealthChecksRepository,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly config: AppConfig,
    @InjectPinoLogger(HealthCheckService.name) private readonly logger: PinoLogger,
  ) {}

  check(subscriberId: string): Promise<HealthCheckOutcome> {
    const pending = this.inFlight.get(subscriberId);
    if (pending !== undefined) {
      return pending;
    }
    const started = this.run(subscriberId).finally(() => this.inFlight.delete(subscriberId));
    this.inFlight.set(subscriberId, started);
    return started;
  }

  private async run(subscriberId: string): Promise<HealthCheckOutcome> {
    const subscriber = await this.subscribers.get(subscriberId);
    SubscribersService.refuseWhenHalted(subscriber);
    const probe = await this.probe(subscriber);
    const result = Object.assign(new HealthCheckResultEntity(), {
      id: this.ids.newId(),
      subscriberId,
      status: probe.finding.status,
      reasons: probe.finding.reasons.join(','),
      latencyMs: probe.latencyMs,
      checkedAt: this.clock.now(),
    });
    // The history row is the source of truth and is written first: if the process dies before the registry
    // row is updated, the next check derives the same transition again (so no transaction is needed).
    await this.repository.insert(result);
    await this.applyTransition(subscriber, result, probe.finding);
    return { result, vendorCalls: probe.vendorCalls };
  }

  private async probe(subscriber: Subscriber): Promise<Probe> {
    const until = subscriber.quotaExhaustedUntil;
    if (until !== null && until.getTime() > this.clock.nowMs()) {
      return {
        finding: { status: 'degraded', reasons: ['QUOTA_EXHAUSTED'] },
        latencyMs: null,
        vendorCalls: 0,
      };
    }
    try {
      const stored = await this.credentials.loadCompanyCredential(subscriber.id);
      if (stored?.status === 'invalid') {
        return {
          finding: { status: 'unhealthy', reasons: ['CREDENTIAL_INVALID'] },
          latencyMs: null,
          vendorCalls: 0,
        };
      }
    } catch (error) {
      return { finding: findingOf(error), latencyMs: null, vendorCalls: 0 };
    }
    const started = this.clock.nowMs();
    try {
      const response = await this.vendor.call(subscriber.id, 'listSubscriptions', {
        query: { pageNumber: 1, pageSize: 1 },
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
    const recent = await this.repository.recentStatuses(subscriber.id, confirmations);
    const to = confirmedTransition(subscriber.healthStatus, recent, confirmations);
    if (to === null) {
      return;
    }
    await this.repository.setSubscriberHealth(subscriber.id, to, result.checkedAt);
    const kind = alertKindOf(subscriber.healthStatus, to);
    this.logger.info({ subscriberId: subscriber.id, from: subscriber.healthStatus, to }, 'health changed');
    if (kind !== null) {
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
