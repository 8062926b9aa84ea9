import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { Clock } from '../common/time/clock';
import { type AlertDeliverySettings, AppConfig } from '../config/app-config';
import { fullJitterBackoff } from '../ipaas/retry-after';
import type { AlertDeliveryEntity } from './alert-delivery.entity';
import { AlertDestinationsService } from './alert-destinations.service';
import type { AlertEntity } from './alert.entity';
import { AlertsRepository } from './alerts.repository';
import { webhookHeaders } from '../common/standard-webhooks';

/** Deliveries taken per loop turn; the rest wait for the next turn. */
const BATCH_SIZE = 20;
const MAX_ERROR_LENGTH = 500;

/** What receivers get as the JSON body (Standard Webhooks payload shape). */
export function alertPayload(alert: AlertEntity): string {
  return JSON.stringify({
    type: alert.kind,
    timestamp: alert.at.toISOString(),
    data: {
      alertId: alert.id,
      subscriberId: alert.subscriberId,
      from: alert.from,
      to: alert.to,
      reasons: JSON.parse(alert.reasons) as string[],
    },
  });
}

interface AttemptOutcome {
  status: number | null;
  error: string | null;
}

/**
 * Sends pending alert deliveries as signed POSTs and retries failures with capped full-jitter backoff. Due
 * times come from the Clock (tests move it forward); the loop itself polls in real time.
 */
@Injectable()
export class AlertDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly settings: AlertDeliverySettings;
  private readonly http: AxiosInstance;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakePending = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly repository: AlertsRepository,
    private readonly destinations: AlertDestinationsService,
    private readonly clock: Clock,
    config: AppConfig,
    @InjectPinoLogger(AlertDeliveryWorker.name) private readonly logger: PinoLogger,
  ) {
    this.settings = config.alertDelivery;
    // Any status is an answer to record, not an exception; redirects are not followed (a moved receiver is a failure).
    this.http = axios.create({
      timeout: this.settings.timeoutMs,
      validateStatus: () => true,
      maxRedirects: 0,
    });
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
  }

  /** New deliveries were stored: look now rather than at the next poll. */
  wake(): void {
    this.wakePending = true;
    this.wakeUp?.();
  }

  /** One pass over the due deliveries (the loop's body; exposed for tests). */
  async deliverDue(): Promise<void> {
    const due = await this.repository.dueDeliveries(this.clock.nowMs(), BATCH_SIZE);
    await Promise.all(due.map((delivery) => this.attempt(delivery)));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.deliverDue();
      } catch (error) {
        this.logger.error({ err: error }, 'alert delivery loop failed; retrying at the next poll');
      }
      await this.idle();
    }
  }

  private async attempt(delivery: AlertDeliveryEntity): Promise<void> {
    // Claimed past the POST timeout, so a crash mid-attempt leaves the delivery due again afterwards.
    const claimedUntil = new Date(this.clock.nowMs() + this.settings.timeoutMs * 2);
    if (!(await this.repository.claim(delivery, claimedUntil))) {
      return;
    }
    const attempts = delivery.attempts + 1;
    const outcome = await this.send(delivery);
    const now = this.clock.nowMs();
    const succeeded = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const exhausted = attempts >= this.settings.maxAttempts;
    const state = succeeded ? 'succeeded' : exhausted ? 'failed' : 'pending';
    await this.repository.recordAttempt(delivery.id, {
      state,
      attempts,
      lastAttemptAt: new Date(now),
      lastStatus: outcome.status,
      lastError: outcome.error,
      nextAttemptAt:
        state === 'pending'
          ? new Date(
              now +
                fullJitterBackoff(
                  attempts - 1,
                  this.settings.retryBaseMs,
                  this.settings.retryMaxMs,
                  Math.random,
                ),
            )
          : null,
    });
    if (!succeeded) {
      this.logger.warn(
        {
          deliveryId: delivery.id,
          destinationId: delivery.destinationId,
          attempts,
          status: outcome.status,
          state,
        },
        'alert delivery attempt failed',
      );
    }
  }

  private async send(delivery: AlertDeliveryEntity): Promise<AttemptOutcome> {
    const [alert, destination] = await Promise.all([
      this.repository.findAlert(delivery.alertId),
      this.repository.findDestination(delivery.destinationId),
    ]);
    if (alert === null || destination === null) {
      return { status: null, error: 'alert or destination no longer exists' };
    }
    const body = alertPayload(alert);
    const headers = webhookHeaders(
      this.destinations.openSecret(destination),
      delivery.id,
      Math.floor(this.clock.nowMs() / 1000),
      body,
    );
    try {
      const response = await this.http.post(destination.url, body, {
        headers: { ...headers, 'content-type': 'application/json' },
        responseType: 'text',
      });
      const failed = response.status < 200 || response.status >= 300;
      return { status: response.status, error: failed ? `HTTP ${response.status}` : null };
    } catch (error) {
      // Only the error's code and message: the request config (with the signature) stays out of the log.
      const message = isAxiosError(error) ? `${error.code ?? 'ERROR'}: ${error.message}` : String(error);
      return { status: null, error: message.slice(0, MAX_ERROR_LENGTH) };
    }
  }

  private async idle(): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      void this.clock.sleep(this.settings.pollMs).then(resolve);
    });
    this.wakeUp = undefined;
    this.wakePending = false;
  }
}
