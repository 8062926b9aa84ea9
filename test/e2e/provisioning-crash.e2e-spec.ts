import { DEFAULT_SEED, startEmulator, type StartedEmulator } from '../../src/ipaas-emulator';
import { mulberry32 } from '../../src/ipaas-emulator/rng';
import { ONBOARDING_TEMPLATE } from '../../scripts/lib/onboarding-template';
import { TenantryApi } from '../../scripts/lib/tenantry-api';
import {
  startTenantryProcess,
  type TenantryProcess,
  throwawayInstanceEnv,
} from '../../scripts/lib/tenantry-process';
import type { ThrowawayDatabase } from '../../scripts/lib/throwaway-database';
import { makeTempDirectory } from '../utils/test-app';
import { freshTestDatabase } from '../utils/test-database';

const COMPANIES = 100;
const KILLS = 5;
const ADMIN = { email: 'crash-admin@tenantry.test', password: 'crash-test-password-1' };

interface JobView {
  state: string;
  counts: {
    total: number;
    succeeded: number;
    failed: number;
    skipped: number;
    running: number;
    pending: number;
  };
}

/**
 * J1 (SQLite, and PostgreSQL in that run): Tenantry runs as a real child process; a 100-company onboarding
 * job is interrupted by SIGKILL five times at random moments, Tenantry is started again on the same database
 * each time, and the job must still complete with every company onboarded and nothing created twice at the
 * vendor.
 */
describe('provisioning survives SIGKILL (crash-resume)', () => {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
  // Seeded, so a failing run can be repeated with the printed seed.
  const random = mulberry32(seed);
  const directory = makeTempDirectory('tenantry-crash-');
  let emulator: StartedEmulator;
  let tenantry: TenantryProcess | undefined;
  let database: ThrowawayDatabase;
  let env: Record<string, string>;
  const tuning = {
    // Slow enough (800 calls at 50/s ≈ 16 s of vendor work) that five kills land while the job runs.
    IPAAS_GLOBAL_RATE_PER_SECOND: '50',
    IPAAS_COMPANY_RATE_PER_SECOND: '50',
    IPAAS_RETRY_BASE_MS: '20',
    IPAAS_RETRY_MAX_MS: '200',
    // A killed worker's lease lapses quickly, so the restarted process reclaims its items within the test.
    PROVISIONING_LEASE_MS: '4000',
    // A vendor write needs more than one timeout of lease left; the emulator answers in ~10 ms.
    IPAAS_TIMEOUT_MS: '2000',
    PROVISIONING_RETRY_BASE_MS: '50',
    PROVISIONING_POLL_MS: '100',
  };

  beforeAll(async () => {
    process.stdout.write(`crash-resume seed ${seed} (rerun with CRASH_SEED=${seed})\n`);
    database = await freshTestDatabase(directory);
    env = { ...throwawayInstanceEnv(directory, ADMIN, database.url), ...tuning };
    emulator = await startEmulator({
      port: 0,
      seed: { subscribers: COMPANIES, pendingRequests: 0, subscriptionsPerCompany: 1 },
      latency: { fixedMs: 10, jitterMs: 5 },
      limits: { ratePerSecond: 0, concurrency: 0 },
      journalSize: 50_000,
    });
  });

  afterAll(async () => {
    await tenantry?.kill('SIGKILL');
    await emulator.close();
    await database.drop();
  });

  it(`completes a ${COMPANIES}-company job after ${KILLS} SIGKILLs with 0 duplicate creates`, async () => {
    const start = () => startTenantryProcess({ ...env, IPAAS_BASE_URL: emulator.url });
    tenantry = await start();
    const api = await TenantryApi.signIn(tenantry.url, ADMIN.email, ADMIN.password);
    await api.expect(200, 'PUT', '/v1/misp-account', {
      email: DEFAULT_SEED.mispEmail,
      password: DEFAULT_SEED.mispPassword,
    });
    await api.expect(200, 'POST', '/v1/subscribers/sync');
    const template = await api.expect<{ id: string }>(
      201,
      'POST',
      '/v1/provisioning/templates',
      ONBOARDING_TEMPLATE,
    );
    const subscribers = await api.expect<{ id: string }[]>(
      200,
      'GET',
      `/v1/subscribers?status=active&pageSize=${COMPANIES}`,
    );
    expect(subscribers).toHaveLength(COMPANIES);
    emulator.control.clearJournal();
    const job = await api.expect<{ id: string }>(201, 'POST', '/v1/provisioning/jobs', {
      templateId: template.id,
      mode: 'apply',
      subscribers: subscribers.map(({ id }) => ({ subscriberId: id })),
    });

    let current = api.at(tenantry.url);
    const progressAtKill: number[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      // A random moment while the job runs: 0.2–1.5 s after (re)start.
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.floor(random() * 1300)));
      const before = await current.expect<JobView>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
      progressAtKill.push(before.counts.succeeded);
      await tenantry.kill('SIGKILL');
      tenantry = await start();
      current = api.at(tenantry.url);
    }

    let final: JobView | undefined;
    for (let waited = 0; waited < 90_000; waited += 250) {
      final = await current.expect<JobView>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
      if (['succeeded', 'completed_with_errors', 'failed', 'cancelled'].includes(final.state)) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    process.stdout.write(`crash-resume: succeeded items at each kill ${progressAtKill.join(', ')}\n`);
    if (final?.state !== 'succeeded') {
      const failed = await current.expect<unknown[]>(
        200,
        'GET',
        `/v1/provisioning/jobs/${job.id}/items?state=failed`,
      );
      process.stdout.write(`crash-resume: failed items ${JSON.stringify(failed)}\n`);
    }
    // The kills really interrupted the job: it was not finished at the last kill.
    expect(progressAtKill.at(-1)).toBeLessThan(COMPANIES);
    expect(final).toMatchObject({ state: 'succeeded', counts: { total: COMPANIES, succeeded: COMPANIES } });
    const stats = emulator.control.stats();
    expect(stats.duplicateCreates).toBe(0);
    // Every company ended with exactly one onboarding user and one first customer at the vendor.
    const createsPerCompany = new Map<string, number>();
    for (const entry of emulator.control.journal()) {
      if (entry.method === 'POST' && /\/(Users|Customer)$/.test(entry.url) && entry.status === 201) {
        createsPerCompany.set(entry.companyId ?? '', (createsPerCompany.get(entry.companyId ?? '') ?? 0) + 1);
      }
    }
    expect(createsPerCompany.size).toBe(COMPANIES);
    expect([...createsPerCompany.values()].every((count) => count === 2)).toBe(true);
  }, 240_000);
});
