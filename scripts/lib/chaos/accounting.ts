/**
 * What a chaos run counts once its job has ended (or its deadline passed), from three independent sources: the
 * job's own report (Tenantry's word), the emulator's journal and stats (what the vendor received) and a fresh
 * read of every company at the vendor (what the vendor holds). Pure, so the definitions are unit-tested.
 *
 * - **lost**: a company that was submitted but has no item in the job's report, or an item the report calls
 *   `succeeded` whose company does not hold every resource of the template at the vendor (a success that did
 *   not happen). A `failed` or `skipped` item is not lost: it is reported, and counted in its own column.
 * - **stuck**: an item still `pending` or `running` in the final report: when the job says it has ended (the
 *   ledger would be contradicting itself) or when the run's deadline passed (the job never converged).
 * - **duplicate creates**: creates the vendor refused because the resource already existed (the emulator's
 *   `stats.duplicateCreates` during the job: a second create of the same natural key, BIZL-100x), plus creates
 *   the vendor accepted beyond the first for one company and one create route (201s in the journal, as the
 *   crash test counts them). The emulator refuses a second user with the same email, so the first part is
 *   where today's races show; a vendor resource without a natural key would land in the second.
 * - **reclaimed**: items claimed more than once (`attempts` > 1). In a run without faults a second claim comes
 *   from a lapsed lease (the killed instance's items, or a live worker that lost its lease) or, rarely, a
 *   transient failure such as a timeout; with faults, also from their retries. A kill run with 0 reclaimed did
 *   not exercise crash-resume.
 */
import type { JournalEntry } from '../../../src/ipaas-emulator';

export interface ReportItem {
  subscriberId: string;
  ipaasCompanyId: string | null;
  state: string;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
}

/** The vendor routes that create a resource with a natural key (POST, answered 201 when it landed). */
export const CREATE_ROUTES: readonly string[] = ['/sso/v2/Users', '/sso/v2/Roles', '/customers/v2/Customer'];

export interface AccountingInput {
  /** The subscriber ids the job was submitted with. */
  submitted: readonly string[];
  items: readonly ReportItem[];
  /** Per company id of a succeeded item: the template resources it lacks at the vendor (empty: all there). */
  missingAtVendor: ReadonlyMap<string, readonly string[]>;
  /** Journal entries of the job's span (the journal was cleared when the job was submitted). */
  journal: readonly Pick<JournalEntry, 'method' | 'route' | 'status' | 'companyId'>[];
  /** stats.duplicateCreates during the job, and its split by kind. */
  refusedDuplicates: number;
  refusedByKind: Readonly<Record<string, number>>;
}

export interface Accounting {
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
  lost: number;
  /** Why each lost item counts: `<company or subscriber>: <what is missing>`. */
  lostDetails: string[];
  stuck: number;
  duplicates: number;
  /** Refused duplicates by kind and extra accepted creates by route, for the details. */
  duplicateDetails: Record<string, number>;
  reclaimed: number;
  /** Failed and skipped items by error code (or skip reason), with one example message. */
  failures: Record<string, { count: number; example: string }>;
}

/** Creates the vendor accepted beyond the first per (company, create route). */
export function extraAcceptedCreates(journal: AccountingInput['journal']): Record<string, number> {
  const perCompanyRoute = new Map<string, number>();
  for (const entry of journal) {
    if (entry.method === 'POST' && entry.status === 201 && CREATE_ROUTES.includes(entry.route ?? '')) {
      const key = `${entry.route}\u0000${entry.companyId ?? ''}`;
      perCompanyRoute.set(key, (perCompanyRoute.get(key) ?? 0) + 1);
    }
  }
  const extra: Record<string, number> = {};
  for (const [key, count] of perCompanyRoute) {
    if (count > 1) {
      const route = key.split('\u0000')[0];
      extra[`accepted twice ${route}`] = (extra[`accepted twice ${route}`] ?? 0) + count - 1;
    }
  }
  return extra;
}

export function accountRun(input: AccountingInput): Accounting {
  const count = (state: string) => input.items.filter((item) => item.state === state).length;
  const inReport = new Set(input.items.map((item) => item.subscriberId));
  const lostDetails = input.submitted
    .filter((id) => !inReport.has(id))
    .map((id) => `${id}: no item in the job`);
  for (const item of input.items) {
    if (item.state !== 'succeeded') {
      continue;
    }
    const missing = input.missingAtVendor.get(item.ipaasCompanyId ?? '');
    if (missing === undefined) {
      lostDetails.push(`${item.ipaasCompanyId ?? item.subscriberId}: succeeded but not read at the vendor`);
    } else if (missing.length > 0) {
      lostDetails.push(`${item.ipaasCompanyId}: succeeded but the vendor lacks ${missing.join(', ')}`);
    }
  }
  const failures: Accounting['failures'] = {};
  for (const item of input.items) {
    if (item.state === 'failed' || item.state === 'skipped') {
      const code = item.errorCode ?? `${item.state} (no code)`;
      failures[code] ??= { count: 0, example: item.errorMessage ?? '' };
      failures[code].count += 1;
    }
  }
  const extra = extraAcceptedCreates(input.journal);
  const duplicateDetails: Record<string, number> = { ...extra };
  for (const [kind, refused] of Object.entries(input.refusedByKind)) {
    if (refused > 0) {
      duplicateDetails[`refused ${kind}`] = refused;
    }
  }
  return {
    succeeded: count('succeeded'),
    failed: count('failed'),
    skipped: count('skipped'),
    cancelled: count('cancelled'),
    lost: lostDetails.length,
    lostDetails,
    stuck: count('pending') + count('running'),
    duplicates: input.refusedDuplicates + Object.values(extra).reduce((sum, n) => sum + n, 0),
    duplicateDetails,
    reclaimed: input.items.filter((item) => item.attempts > 1).length,
    failures,
  };
}
