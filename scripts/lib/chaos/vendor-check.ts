/**
 * Reads companies back at the emulator after a chaos run: does each hold what ONBOARDING_TEMPLATE creates?
 * Through the vendor's own routes with a company token minted on the control plane (outside Tenantry, so a
 * Tenantry defect cannot hide itself), after the fault rules were cleared.
 */
import type { EmulatorControlClient } from '../emulator-control';
import { onboardingResources } from '../onboarding-template';

interface Named {
  id: number;
  name?: string;
  email_address?: string;
  role_ids?: number[];
  persistent_data?: { name: string; value: string | null }[];
}

/** The template resources company `companyId` lacks at the vendor (empty: it has them all). */
export async function missingOnboardingResources(
  control: EmulatorControlClient,
  companyId: string,
): Promise<string[]> {
  const want = onboardingResources(companyId);
  const { accessToken } = await control.mintCompanyToken(companyId);
  const get = async <T = Named[]>(path: string): Promise<T> => {
    const response = await fetch(`${control.emulatorUrl}${path}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    if (!response.ok) {
      throw new Error(`GET ${path} as ${companyId} answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as T;
  };
  const missing: string[] = [];
  const users = await get('/sso/v2/Users?pageSize=1000');
  const user = users.find((each) => each.email_address?.toLowerCase() === want.userEmail.toLowerCase());
  if (user === undefined) {
    missing.push(`user ${want.userEmail}`);
  } else {
    const roles = await get('/sso/v2/Roles?pageSize=1000');
    for (const roleName of want.userRoles) {
      const role = roles.find((each) => each.name === roleName);
      if (role === undefined || !(user.role_ids ?? []).includes(role.id)) {
        missing.push(`role ${roleName} of ${want.userEmail}`);
      }
    }
  }
  const customers = await get(
    `/customers/v2/Customers?action=equals&EmailAddress=${encodeURIComponent(want.customerEmail)}`,
  );
  if (customers.length === 0) {
    missing.push(`customer ${want.customerEmail}`);
  }
  for (const { id } of await get('/subscriptions/v2/Subscriptions?pageSize=1000')) {
    const subscription = await get<Named>(`/subscriptions/v2/Subscription/${id}?include=persistentdata`);
    const datum = subscription.persistent_data?.find((each) => each.name === want.persistentData.name);
    if (datum?.value !== want.persistentData.value) {
      missing.push(`persistent data ${want.persistentData.name}=${want.persistentData.value} on ${id}`);
    }
  }
  return missing;
}

/** missingOnboardingResources for many companies, `concurrency` at a time. */
export async function checkCompanies(
  control: EmulatorControlClient,
  companyIds: readonly string[],
  concurrency = 8,
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  const queue = [...companyIds];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
        result.set(id, await missingOnboardingResources(control, id));
      }
    }),
  );
  return result;
}
