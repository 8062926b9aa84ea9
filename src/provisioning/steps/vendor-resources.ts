import type { StepRun } from './step-run';

/**
 * The company resources as iPaaS.com sends them (snake_case; users and roles are provisional paths, see
 * ../shared/ipaas-api.md §13.3). Only the fields the steps compare are declared; list items without an id
 * are skipped by the guards.
 */
export interface VendorRole {
  id: number;
  name: string;
  description?: string | null;
  permissions?: string[];
}

export interface VendorUser {
  id: number;
  email_address: string;
  first_name?: string | null;
  last_name?: string | null;
  role_ids?: number[];
}

export interface VendorExternalId {
  system_id: number;
  external_id: string;
}

export interface VendorCustomer {
  id: number;
  email_address?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  company?: string | null;
  external_ids?: VendorExternalId[];
}

export interface VendorPersistentDatum {
  name: string;
  value: string | null;
}

export interface VendorSubscription {
  id: number;
  persistent_data?: VendorPersistentDatum[];
}

const hasId = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && Number.isInteger((value as { id?: unknown }).id);

const hasIdAndText =
  (field: string) =>
  (value: unknown): boolean =>
    hasId(value) && typeof (value as Record<string, unknown>)[field] === 'string';

export const sameText = (left: string | null | undefined, right: string): boolean =>
  (left ?? '').trim().toLowerCase() === right.trim().toLowerCase();

/** The company's roles, read once per attempt; writes of this attempt keep the list current. */
export function companyRoles(run: StepRun): Promise<VendorRole[]> {
  return run.cached('roles', async () =>
    (await run.companyList<VendorRole>('listRoles')).filter(hasIdAndText('name')),
  );
}

/** Uncached: what a create's landed check must see is the vendor now, not this attempt's earlier read. */
export async function freshRoles(run: StepRun): Promise<VendorRole[]> {
  return (await run.companyList<VendorRole>('listRoles')).filter(hasIdAndText('name'));
}

export function companyUsers(run: StepRun): Promise<VendorUser[]> {
  return run.cached('users', () => freshUsers(run));
}

export async function freshUsers(run: StepRun): Promise<VendorUser[]> {
  return (await run.companyList<VendorUser>('listUsers')).filter(hasIdAndText('email_address'));
}

export function companySubscriptionIds(run: StepRun): Promise<number[]> {
  return run.cached('subscriptions', async () =>
    (await run.companyList<VendorSubscription>('listSubscriptions')).filter(hasId).map(({ id }) => id),
  );
}

/** One subscription with its persistent data, read once per attempt however many items target it. */
export function subscriptionData(run: StepRun, id: number): Promise<VendorSubscription> {
  return run.cached(`subscription:${id}`, () =>
    run.company<VendorSubscription>('getSubscription', {
      params: { id },
      query: { include: 'persistentdata' },
    }),
  );
}

export async function customerByEmail(run: StepRun, email: string): Promise<VendorCustomer | null> {
  const matches = await run.companyList<VendorCustomer>('listCustomers', {
    action: 'equals',
    EmailAddress: email,
  });
  return matches.filter(hasId).find((customer) => sameText(customer.email_address, email)) ?? null;
}

/** Replaces `item` (same id) in a cached list, or adds it: the attempt's later steps see its own writes. */
export function remember<T extends { id: number }>(list: T[], item: T): void {
  const index = list.findIndex((known) => known.id === item.id);
  if (index === -1) {
    list.push(item);
  } else {
    list[index] = item;
  }
}
