import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { OutboundHttp } from '../common/outbound/outbound-http';
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
  /** No later attempt can do better (a refused URL, a redirect): the delivery fails now. */
  final: boolean;
}

/** How one POST's outcome counts for the delivery. */
export function attemptOutcome(result: Awaited<ReturnType<OutboundHttp['post']>>): AttemptOutcome {
  switch (result.kind) {
    case 'refused':
      return { status: null, error: `not sent: ${result.reason}`, final: true };
    case 'failed':
      return { status: null, error: result.error, final: false };
    case 'answered': {
      const { status } = result;
      if (status >= 200 && status < 300) {
        return { status, error: null, final: false };
      }
      if (status >= 300 && status < 400) {
        return {
          status,
          error: `HTTP ${status}: redirects are not followed (point the destination at the final URL)`,
          final: true,
        };
      }
      return { status, error: `HTTP ${status}`, final: false };
    }
  }
}

/**
 * Sends pending alert deliveries as signed POSTs and retries failures with capped full-jitter backoff. Due
 * times come from the Clock (tests move it forward); the loop itself polls in real time.
 */
@Injectable()
export class AlertDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly settings: AlertDeliverySettings;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakePending = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly repository: AlertsRepository,
    private readonly destinations: AlertDestinationsService,
    private readonly clock: Clock,
    private readonly outbound: OutboundHttp,
    config: AppConfig,
    @InjectPinoLogger(AlertDeliveryWorker.name) private readonly logger: PinoLogger,
  ) {
    this.settings = config.alertDelivery;
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
    const exhausted = outcome.final || attempts >= this.settings.maxAttempts;
    const state = succeeded ? 'succeeded' : exhausted ? 'failed' : 'pending';
    await this.repository.recordAttempt(delivery.id, {
      state,
      attempts,
      lastAttemptAt: new Date(now),
      lastStatus: outcome.status,
      // The column's width; a refusal names the host, which may be long.
      lastError: outcome.error?.slice(0, 500) ?? null,
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
          // The raw reason (a network error names addresses and ports) goes here and to admins, not to viewers.
          error: outcome.error,
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
      return { status: null, error: 'alert or destination no longer exists', final: true };
    }
    const body = alertPayload(alert);
    const headers = webhookHeaders(
      this.destinations.openSecret(destination),
      delivery.id,
      Math.floor(this.clock.nowMs() / 1000),
      body,
    );
    // The guard checks the URL and the address it resolves to on every attempt (a name may change).
    const result = await this.outbound.post(destination.url, body, {
      headers: { ...headers, 'content-type': 'application/json' },
      timeoutMs: this.settings.timeoutMs,
    });
    return attemptOutcome(result);
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
