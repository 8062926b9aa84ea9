import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import type { ProblemDetails } from '../common/errors/problem-details';
import type { ProblemObserver } from '../common/errors/problem-details.filter';
import { routeOf } from '../common/logging/logger.options';
import { type Principal, principalOf } from '../auth/principal';
import { AUDIT_ACTION_KEY } from './audit-action.decorator';
import { AuditService } from './audit.service';
import { type AuditActor, type AuditEntry, actorOf } from './audit.types';

const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SUBSCRIBER_ROUTE = '/v1/subscribers/:id';
const LOGIN_ROUTE = '/v1/auth/login';

/** Set on the request by the interceptor: the handler's audit action, and whether the row is written. */
const AUDIT_STATE = Symbol('audit');

interface AuditState {
  action: string | undefined;
  recorded: boolean;
}

type AuditedRequest = Request & { [AUDIT_STATE]?: AuditState };

export function isMutating(request: Request): boolean {
  return MUTATING_METHODS.has(request.method);
}

function isPrincipal(value: Principal | undefined): value is Principal {
  return (value?.kind === 'staff' || value?.kind === 'api_key') && typeof value.id === 'string';
}

/**
 * Turns mutating HTTP requests into audit entries. Two callers, because guards run before interceptors:
 * - AuditInterceptor, for requests that reached their handler and succeeded;
 * - the global ProblemDetailsFilter (as its ProblemObserver), for every refused or failed one: 401/403 from a
 *   guard, 400 from a pipe, or an error from the handler. It sees the exact problem sent (status and code).
 * Request bodies are never recorded (they carry passwords and keys); only the login email is read from one.
 */
@Injectable()
export class AuditHttpRecorder implements ProblemObserver {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
    @InjectPinoLogger(AuditHttpRecorder.name) private readonly logger: PinoLogger,
  ) {}

  /** The interceptor notes the handler's `@AuditAction`, so a later failure is recorded under the same name. */
  enter(request: Request, action: string | undefined): void {
    (request as AuditedRequest)[AUDIT_STATE] = { action, recorded: false };
  }

  /** The handler audits itself (`@AuditedByHandler`): nothing is recorded for this request here. */
  leaveToHandler(request: Request): void {
    (request as AuditedRequest)[AUDIT_STATE] = { action: undefined, recorded: true };
  }

  recordSuccess(request: Request, response: Response): Promise<void> {
    const status = response.statusCode;
    const success = status >= 200 && status < 300;
    return this.record(
      request,
      success ? { outcome: 'success' } : { outcome: 'failure', details: { status } },
    );
  }

  onProblem(request: Request, problem: ProblemDetails): void {
    // Unknown routes (scanners) have no handler and no caller to speak of: the access log has them.
    if (!isMutating(request) || routeOf(request) === 'unmatched') {
      return;
    }
    void this.record(request, {
      outcome: 'failure',
      details: { status: problem.status, code: problem.code },
    });
  }

  /** Never rejects: a request is not failed, nor the filter broken, because its audit entry could not be built. */
  private record(request: Request, result: Pick<AuditEntry, 'outcome' | 'details'>): Promise<void> {
    try {
      return this.recordOnce(request, result);
    } catch (error) {
      this.logger.error({ err: error }, 'Could not build the audit entry of a request');
      return Promise.resolve();
    }
  }

  private recordOnce(request: Request, result: Pick<AuditEntry, 'outcome' | 'details'>): Promise<void> {
    const state = (request as AuditedRequest)[AUDIT_STATE] ?? { action: undefined, recorded: false };
    if (state.recorded) {
      return Promise.resolve();
    }
    state.recorded = true;
    (request as AuditedRequest)[AUDIT_STATE] = state;
    const route = routeOf(request);
    const params = { ...(request.params as Record<string, string>) };
    const underSubscriber = route === SUBSCRIBER_ROUTE || route.startsWith(`${SUBSCRIBER_ROUTE}/`);
    const subscriberId = underSubscriber ? (params.id ?? null) : null;
    if (underSubscriber) {
      delete params.id;
    }
    const target = Object.entries(params)
      .map(([name, value]) => `${name}=${value}`)
      .join(', ');
    return this.audit.record({
      ...result,
      actor: this.actorOf(request, route),
      action: state.action ?? this.routeAction(request) ?? `${request.method} ${route}`,
      subscriberId,
      target: target.length > 0 ? target : null,
      requestId: typeof request.id === 'string' ? request.id : null,
    });
  }

  private actorOf(request: Request, route: string): AuditActor {
    const principal = principalOf(request);
    if (isPrincipal(principal)) {
      return actorOf(principal);
    }
    const body = request.body as { email?: unknown } | undefined;
    if (route === LOGIN_ROUTE && typeof body?.email === 'string' && body.email.length > 0) {
      // Who tried to sign in; the password next to it is never read.
      return { kind: 'system', id: null, label: body.email };
    }
    return { kind: 'system', id: null, label: 'anonymous' };
  }

  /**
   * `@AuditAction` of a route refused before its interceptors ran. Nest copies a handler's metadata onto the
   * function it registers with Express, which Express keeps on `request.route`; read it from there.
   */
  private routeAction(request: Request): string | undefined {
    const layers = (request.route as { stack?: { handle?: unknown }[] } | undefined)?.stack ?? [];
    for (const layer of layers) {
      if (typeof layer.handle === 'function') {
        const action = this.reflector.get<string | undefined>(AUDIT_ACTION_KEY, layer.handle);
        if (action !== undefined) {
          return action;
        }
      }
    }
    return undefined;
  }
}
