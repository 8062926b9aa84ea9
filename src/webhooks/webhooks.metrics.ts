import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';

import { MetricsService } from '../metrics/metrics.service';

export type DeliveryOutcome =
  'accepted' | 'duplicate' | 'unauthorized' | 'unusable' | 'rate_limited' | 'not_found';

/** Prometheus series of the webhook receiver. */
@Injectable()
export class WebhooksMetrics {
  private readonly deliveries: Counter<'outcome'>;
  private readonly ackLatency: Histogram<'outcome'>;

  constructor(metrics: MetricsService) {
    this.deliveries = new Counter({
      name: 'tenantry_webhook_deliveries_total',
      // No source label: ids are unbounded (each new source, and any id a scanner sends, would add series);
      // GET /v1/webhooks/events?sourceId= answers per source.
      help: 'Webhook deliveries received, by outcome (this instance)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    this.ackLatency = new Histogram({
      name: 'tenantry_webhook_ack_seconds',
      help: 'Time from a webhook delivery reaching the receiver to its answer, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics.registry],
    });
  }

  delivered(outcome: DeliveryOutcome, startedAtNs: bigint): void {
    this.deliveries.inc({ outcome });
    this.ackLatency.observe({ outcome }, Number(process.hrtime.bigint() - startedAtNs) / 1e9);
  }
}
