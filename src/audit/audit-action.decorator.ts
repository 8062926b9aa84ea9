import { SetMetadata } from '@nestjs/common';

export const AUDIT_ACTION_KEY = 'audit:action';

/**
 * Names the audit action of a mutating handler (e.g. `subscriber.approve`). Without it the audit trail records
 * `<METHOD> <route pattern>`. Every POST/PUT/PATCH/DELETE is recorded either way (src/audit/audit.interceptor.ts).
 */
export const AuditAction = (action: string): MethodDecorator & ClassDecorator =>
  SetMetadata(AUDIT_ACTION_KEY, action);

export const AUDITED_BY_HANDLER_KEY = 'audit:by-handler';

/**
 * The handler writes its own audit rows, so the HTTP interceptor records nothing for it, neither success nor
 * failure. For the public webhook receiver: each accepted event is audited by the receiver, while refusals
 * (bad signatures, unknown sources) are counted in metrics only, so a junk flood writes nothing.
 */
export const AuditedByHandler = (): MethodDecorator & ClassDecorator =>
  SetMetadata(AUDITED_BY_HANDLER_KEY, true);
