import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { VendorError } from '../ipaas/vendor-error';
import type { HealthStatus } from '../subscribers/subscriber.entity';
import type { CheckedStatus } from './health-check-result.entity';

export const HEALTH_REASONS = [
  'CREDENTIAL_MISSING',
  'CREDENTIAL_INVALID',
  'VENDOR_UNAVAILABLE',
  'QUOTA_EXHAUSTED',
  'CREDENTIAL_EXPIRING',
  'NOT_LISTED_FOR_MISP',
] as const;
export type HealthReason = (typeof HEALTH_REASONS)[number];

export interface Finding {
  status: CheckedStatus;
  reasons: HealthReason[];
}

export const HEALTHY: Finding = { status: 'healthy', reasons: [] };

const CREDENTIAL_CODES: ReadonlySet<string> = new Set([
  ErrorCode.CREDENTIAL_INVALID,
  ErrorCode.VENDOR_CREDENTIAL_REJECTED,
  ErrorCode.VAULT_DECRYPT_FAILED,
]);
const MISSING_CODES: ReadonlySet<string> = new Set([ErrorCode.MISP_ACCOUNT_MISSING]);

/**
 * What a failed token mint or read says about the company. A refused or undecryptable credential is
 * unhealthy (nothing works until staff act); a used-up monthly allowance is degraded (it renews by itself);
 * anything else the client already retried, so the company is unreachable: unhealthy.
 */
export function findingOf(error: unknown): Finding {
  if (error instanceof VendorError) {
    if (error.kind === 'rate_limited_monthly') {
      return { status: 'degraded', reasons: ['QUOTA_EXHAUSTED'] };
    }
    if (error.kind === 'auth' || error.kind === 'forbidden') {
      return { status: 'unhealthy', reasons: ['CREDENTIAL_INVALID'] };
    }
    return { status: 'unhealthy', reasons: ['VENDOR_UNAVAILABLE'] };
  }
  if (error instanceof AppError) {
    if (error.code === ErrorCode.VENDOR_QUOTA_EXHAUSTED) {
      return { status: 'degraded', reasons: ['QUOTA_EXHAUSTED'] };
    }
    if (CREDENTIAL_CODES.has(error.code)) {
      return { status: 'unhealthy', reasons: ['CREDENTIAL_INVALID'] };
    }
    if (MISSING_CODES.has(error.code)) {
      return { status: 'unhealthy', reasons: ['CREDENTIAL_MISSING'] };
    }
  }
  return { status: 'unhealthy', reasons: ['VENDOR_UNAVAILABLE'] };
}

const SEVERITY: Record<HealthStatus, number> = { unknown: 0, healthy: 0, degraded: 1, unhealthy: 2 };
const DAY_MS = 24 * 60 * 60 * 1000;

/** Several findings as one: the worst status, every reason (each once, in order). */
export function worstOf(findings: readonly Finding[]): Finding {
  const status = findings.reduce<CheckedStatus>(
    (worst, finding) => (SEVERITY[finding.status] > SEVERITY[worst] ? finding.status : worst),
    'healthy',
  );
  return { status, reasons: [...new Set(findings.flatMap((finding) => finding.reasons))] };
}

/**
 * A staff-supplied API key stops working at its expiry until a person replaces it, so it is flagged
 * `warnDays` ahead. Company sessions are never flagged: their expiry is routine, they renew themselves
 * (refresh token, else a fresh ChangeCompany mint with the MiSP login). An API key of unknown expiry is not.
 */
export function expiryFinding(
  credential: { kind: string; expiresAt: Date | null } | null,
  nowMs: number,
  warnDays: number,
): Finding {
  if (credential?.kind !== 'api_key' || credential.expiresAt === null) {
    return HEALTHY;
  }
  return credential.expiresAt.getTime() - nowMs <= warnDays * DAY_MS
    ? { status: 'degraded', reasons: ['CREDENTIAL_EXPIRING'] }
    : HEALTHY;
}

/**
 * The company is no longer among the MiSP's subscribers: nothing done for it can work. `listed` is null
 * when no list is known (no sweep has read it yet, or it could not be read): the criterion is skipped.
 */
export function listingFinding(ipaasCompanyId: string, listed: ReadonlySet<string> | null): Finding {
  return listed === null || listed.has(ipaasCompanyId)
    ? HEALTHY
    : { status: 'unhealthy', reasons: ['NOT_LISTED_FOR_MISP'] };
}

/**
 * Debounce: a worse status must be seen in `confirmations` consecutive checks before it is adopted (one
 * failed read does not page anyone); a better one is adopted at once (recovery is reported promptly).
 * `recent` are the latest statuses, newest first, the current check included. Returns the status to adopt,
 * or null when the subscriber keeps its current one.
 */
export function confirmedTransition(
  current: HealthStatus,
  recent: readonly CheckedStatus[],
  confirmations: number,
): CheckedStatus | null {
  const observed = recent[0];
  if (observed === undefined || observed === current) {
    return null;
  }
  if (SEVERITY[observed] <= SEVERITY[current]) {
    return observed;
  }
  const streak = recent.slice(0, confirmations);
  return streak.length === confirmations && streak.every((status) => status === observed) ? observed : null;
}

/** A worse status than the current one is adopted only after confirmations, so it needs the recent history. */
export function needsConfirmation(current: HealthStatus, observed: CheckedStatus): boolean {
  return SEVERITY[observed] > SEVERITY[current];
}

/** The alert a transition raises; none when a never-checked company turns out healthy. */
export function alertKindOf(
  from: HealthStatus,
  to: CheckedStatus,
): 'health.degraded' | 'health.unhealthy' | 'health.recovered' | null {
  if (to === 'healthy') {
    return from === 'unknown' ? null : 'health.recovered';
  }
  return to === 'degraded' ? 'health.degraded' : 'health.unhealthy';
}
