import type { Principal } from '../auth/principal';

export const AUDIT_ACTOR_KINDS = ['staff', 'api_key', 'system', 'webhook'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who did it. `label` is an email, a key name or a component name: never a secret. */
export interface AuditActor {
  kind: AuditActorKind;
  id: string | null;
  label: string;
}

/** One thing to append to the audit trail (AuditService.record). Details are redacted of secrets there. */
export interface AuditEntry {
  actor: AuditActor;
  action: string;
  subscriberId?: string | null;
  target?: string | null;
  requestId?: string | null;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

export const SYSTEM_ACTOR: AuditActor = { kind: 'system', id: null, label: 'system' };

/** The audit actor of a caller: the principal the auth guard resolved, or the system when there is none. */
export function actorOf(principal?: Principal): AuditActor {
  if (principal === undefined) {
    return SYSTEM_ACTOR;
  }
  return { kind: principal.kind, id: principal.id, label: principal.label };
}
