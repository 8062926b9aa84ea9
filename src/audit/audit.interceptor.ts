import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { mergeMap, type Observable } from 'rxjs';

import { AUDIT_ACTION_KEY, AUDITED_BY_HANDLER_KEY } from './audit-action.decorator';
import { AuditHttpRecorder, isMutating } from './audit-http.recorder';

/**
 * Records every mutating request that reached its handler and answered (APP_INTERCEPTOR). The row is
 * committed before the response is sent, so a client that saw a success can find its audit row. Failures are
 * recorded by the problem filter's observer (AuditHttpRecorder), which also sees requests refused by guards.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly recorder: AuditHttpRecorder,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    if (context.getType() !== 'http' || !isMutating(request)) {
      return next.handle();
    }
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(AUDITED_BY_HANDLER_KEY, targets) === true) {
      this.recorder.leaveToHandler(request);
      return next.handle();
    }
    this.recorder.enter(
      request,
      this.reflector.getAllAndOverride<string | undefined>(AUDIT_ACTION_KEY, targets),
    );
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        await this.recorder.recordSuccess(request, http.getResponse<Response>());
        return result;
      }),
    );
  }
}
