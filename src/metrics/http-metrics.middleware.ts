import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { routeOf } from '../common/logging/logger.options';
import { MetricsService } from './metrics.service';

/** Times every request and records it under its route pattern once the response is finished. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const stopTimer = this.metrics.httpRequestDuration.startTimer();
    response.once('finish', () => {
      stopTimer({ route: routeOf(request), method: request.method, status: String(response.statusCode) });
    });
    next();
  }
}
