import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';

import { MetricsService } from '../metrics/metrics.service';
import type { ThrottleScope } from './login-throttle';

/** Prometheus series of staff sign-in (labels are bounded: outcomes and throttle scopes, never an email). */
@Injectable()
export class LoginMetrics {
  private readonly passwordChecks: Counter<'outcome'>;
  private readonly throttled: Counter<'scope'>;

  constructor(metrics: MetricsService) {
    this.passwordChecks = new Counter({
      name: 'tenantry_login_password_checks_total',
      help: 'Passwords checked at sign-in (scrypt runs, unknown emails included), by outcome (this instance)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    this.throttled = new Counter({
      name: 'tenantry_login_throttled_total',
      help: 'Sign-ins refused with 429 before any password check, by the throttle scope that refused them',
      labelNames: ['scope'] as const,
      registers: [metrics.registry],
    });
  }

  passwordChecked(outcome: 'success' | 'failure'): void {
    this.passwordChecks.inc({ outcome });
  }

  refused(scope: ThrottleScope): void {
    this.throttled.inc({ scope });
  }
}
