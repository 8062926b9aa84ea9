import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';

import { Public } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { AppConfig } from '../config/app-config';
import { HealthSweeper } from '../health-checks/health-sweep';

@ApiTags('service')
@Public()
@Controller({ version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly config: AppConfig,
    private readonly sweeper: HealthSweeper,
  ) {}

  /** Liveness: the process answers. No dependency is checked, so a slow database never restarts the pod. */
  @Get('healthz')
  @ApiOkResponse({ description: 'The process is alive' })
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency answers within its timeout. */
  @Get('readyz')
  @HealthCheck()
  @ApiOkResponse({ description: 'Every dependency is ready' })
  @ApiProblemResponses(503)
  readiness(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: this.config.readiness.databaseTimeoutMs }),
      () => {
        const { up, ...details } = this.sweeper.status();
        // A stopped scheduler means no company is being watched: not ready.
        return { healthCheckScheduler: { status: up ? 'up' : 'down', ...details } };
      },
    ]);
  }
}
