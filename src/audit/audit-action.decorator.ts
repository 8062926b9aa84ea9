import { SetMetadata } from '@nestjs/common';

export const AUDIT_ACTION_KEY = 'audit:action';

/**
 * Names the audit action of a mutating handler (e.g. `subscriber.approve`). Without it the audit trail records
 * `<METHOD> <route pattern>`. Every POST/PUT/PATCH/DELETE is recorded either way (src/audit/audit.interceptor.ts).
 */
export const AuditAction = (action: string): MethodDecorator & ClassDecorator =>
  SetMetadata(AUDIT_ACTION_KEY, action);
