import { Controller, Get, Headers, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { timingSafeEqual } from 'node:crypto';

import { Public } from '../auth/auth.decorators';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

@ApiTags('service')
// Public to staff auth: METRICS_TOKEN guards it instead, so a scraper needs no staff account.
@Public()
@Controller({ version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** Prometheus text exposition. Guarded by METRICS_TOKEN (Bearer) when it is set. */
  @Get('metrics')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus metrics in text format', schema: { type: 'string' } })
  @ApiProblemResponses(401)
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const token = this.config.metricsToken;
    if (token !== undefined && !sameSecret(authorization ?? '', `Bearer ${token}`)) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
    response.type(this.metrics.contentType).send(await this.metrics.render());
  }
}
