/** Fleet set-up shared by the demo and the benchmarks, through Tenantry's own API. */
import { DEFAULT_SEED } from '../../src/ipaas-emulator';
import type { TenantryApi } from './tenantry-api';

/** Stores the emulator's demo MiSP login and imports the MiSP's subscribers (POST /v1/subscribers/sync). */
export async function connectSandboxMisp(api: TenantryApi): Promise<{ added: number }> {
  await api.expect(200, 'PUT', '/v1/misp-account', {
    email: DEFAULT_SEED.mispEmail,
    password: DEFAULT_SEED.mispPassword,
  });
  return api.expect<{ added: number }>(200, 'POST', '/v1/subscribers/sync');
}

/** Up to `wanted` active subscriber ids, in the registry's order. */
export async function activeSubscriberIds(api: TenantryApi, wanted: number): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ids.length < wanted; page += 1) {
    const rows = await api.expect<{ id: string }[]>(
      200,
      'GET',
      `/v1/subscribers?status=active&pageSize=500&pageNumber=${page}`,
    );
    if (rows.length === 0) {
      break;
    }
    ids.push(...rows.map((row) => row.id));
  }
  return ids.slice(0, wanted);
}

/** Mints a company session for each subscriber (ChangeCompany), `concurrency` at a time; returns seconds. */
export async function mintCompanyTokens(
  api: TenantryApi,
  ids: string[],
  concurrency: number,
): Promise<number> {
  const started = Date.now();
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
        await api.expect(200, 'PUT', `/v1/subscribers/${id}/credential`, { kind: 'company_session' });
      }
    }),
  );
  return (Date.now() - started) / 1000;
}
