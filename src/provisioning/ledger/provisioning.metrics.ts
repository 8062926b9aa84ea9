import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';

import { MetricsService } from '../../metrics/metrics.service';
import type { StepOutcome } from '../steps/step.types';
import { JOB_STATES, type FinalItemState } from './ledger.types';
import { LedgerRepository } from './ledger.repository';

/** Prometheus series of the provisioning ledger. */
@Injectable()
export class ProvisioningMetrics {
  private readonly items: Counter<'state'>;
  private readonly stepDuration: Histogram<'kind' | 'outcome'>;
  private readonly vendorCalls: Counter;
  private readonly stepResults: Counter<'kind' | 'action'>;

  constructor(metrics: MetricsService, ledger: LedgerRepository) {
    this.items = new Counter({
      name: 'tenantry_provisioning_items_total',
      help: 'Provisioning items that reached a final state (this instance)',
      labelNames: ['state'] as const,
      registers: [metrics.registry],
    });
    this.stepDuration = new Histogram({
      name: 'tenantry_provisioning_step_duration_seconds',
      help: 'Duration of one provisioning step (plan or ensure) by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
      registers: [metrics.registry],
    });
    this.stepResults = new Counter({
      name: 'tenantry_provisioning_step_results_total',
      help: 'Provisioning steps ensured, by kind and result (created, updated, noop, adopted) (this instance)',
      labelNames: ['kind', 'action'] as const,
      registers: [metrics.registry],
    });
    this.vendorCalls = new Counter({
      name: 'tenantry_provisioning_vendor_calls_total',
      help: 'iPaaS.com calls made by provisioning steps (this instance)',
      registers: [metrics.registry],
    });
    // Read from the database at scrape time, so every instance reports the same, current numbers.
    new Gauge({
      name: 'tenantry_provisioning_jobs',
      help: 'Provisioning jobs by state (all instances)',
      labelNames: ['state'] as const,
      registers: [metrics.registry],
      async collect(this: Gauge<'state'>): Promise<void> {
        const counts = await ledger.countJobsByState().catch(() => null);
        for (const state of JOB_STATES) {
          if (counts !== null) {
            this.set({ state }, counts.get(state) ?? 0);
          }
        }
      },
    });
  }

  itemFinished(state: FinalItemState, count = 1): void {
    if (count > 0) {
      this.items.inc({ state }, count);
    }
  }

  /** A step ended; `action` is the result of an ensure that succeeded (a plan has none). */
  stepFinished(
    kind: string,
    result: { outcome: 'succeeded' | 'failed'; action?: StepOutcome['action'] },
    seconds: number,
    vendorCalls: number,
  ): void {
    this.stepDuration.observe({ kind, outcome: result.outcome }, seconds);
    if (result.action !== undefined) {
      this.stepResults.inc({ kind, action: result.action });
    }
    if (vendorCalls > 0) {
      this.vendorCalls.inc(vendorCalls);
    }
  }
}
