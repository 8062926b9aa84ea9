import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

import { principalOf } from '../auth/principal';
import { type AuditActor, actorOf, SYSTEM_ACTOR } from './audit.types';

/**
 * Who asked for a change and in which request, handed explicitly to services that write audit rows of their
 * own (consequences of a request, such as API keys capped when their owner is demoted).
 */
export interface AuditContext {
  actor: AuditActor;
  requestId: string | null;
}

/** The system acting on its own (`caused` by a request when it was), for automatic consequences. */
export function systemContext(caused: AuditContext): AuditContext {
  return { actor: SYSTEM_ACTOR, requestId: caused.requestId };
}

/** `@CurrentAuditContext() context: AuditContext` in a handler: the caller and the request id. */
export const CurrentAuditContext = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuditContext => {
    const request = context.switchToHttp().getRequest<Request>();
    return {
      actor: actorOf(principalOf(request)),
      requestId: typeof request.id === 'string' ? request.id : null,
    };
  },
);
