import { startEmulator, type StartedEmulator } from '../../src/ipaas-emulator';
import { activeSubscriberIds, connectSandboxMisp } from '../../scripts/lib/fleet';
import { TenantryApi } from '../../scripts/lib/tenantry-api';
import {
  startTenantryProcess,
  type TenantryProcess,
  throwawayInstanceEnv,
} from '../../scripts/lib/tenantry-process';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../../scripts/lib/throwaway-database';
import { eventually } from '../utils/provisioning-fakes';
import { maxInAnyWindow } from '../utils/windows';
import { makeTempDirectory } from '../utils/test-app';
import { describeOnPostgres, TEST_POSTGRES_URL } from '../utils/test-database';

const COMPANIES = 1000;
const AGGREGATE_RATE = 200;
const ADMIN = { email: 'scale-admin@tenantry.test', password: 'scale-test-password-1' };

/** The fire times of the health sweep ticks an instance claimed, from its log lines. */
function claimedTicks(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('health sweep tick claimed'))
    .map((line) => (JSON.parse(line) as { fired: string }).fired);
}

interface JobView {
  id: string;
  state: string;
  counts: { total: number; succeeded: number; failed: number; skipped: number };
}

/**
 * Issue 9: two Tenantry processes on one PostgreSQL database share one job, one vendor budget and one
 * schedule; one of them is SIGKILLed mid-job and the other finishes the job.
 */
describeOnPostgres('scale-out')('two instances on one PostgreSQL database', () => {
  const directory = makeTempDirectory('tenantry-scale-');
  let database: ThrowawayDatabase;
  let emulator: StartedEmulator;
  const instances: TenantryProcess[] = [];

  beforeAll(async () => {
    database = await createThrowawayDatabase(directory, TEST_POSTGRES_URL);
    emulator = await startEmulator({
      port: 0,
      seed: { subscribers: COMPANIES, pendingRequests: 0, subscriptionsPerCompany: 1 },
      latency: { fixedMs: 10, jitterMs: 5 },
      limits: { ratePerSecond: 0, concurrency: 0 },
      journalSize: 100_000,
    });
  });

  afterAll(async () => {
    for (const instance of instances) {
      await instance.kill('SIGKILL');
    }
    await emulator?.close();
    await database?.drop();
  });

  it('runs a 1,000-company job once across both, survives a SIGKILL, stays in the budget, sweeps once per tick', async () => {
    const env = {
      ...throwawayInstanceEnv(directory, ADMIN, database.url),
      LOG_LEVEL: 'info',
      IPAAS_BASE_URL: emulator.url,
      IPAAS_GLOBAL_RATE_PER_SECOND: String(AGGREGATE_RATE),
      IPAAS_COMPANY_RATE_PER_SECOND: String(AGGREGATE_RATE),
      IPAAS_COMPANY_CONCURRENCY: '16',
      // A killed instance's items are reclaimed within the test (the 30 s default is for production); a live
      // run renews its lease before each vendor write, which needs more than one timeout of it left.
      PROVISIONING_LEASE_MS: '10000',
      IPAAS_TIMEOUT_MS: '4000',
      PROVISIONING_POLL_MS: '100',
      HEALTH_CHECK_CRON: '*/5 * * * * *',
      HEALTH_CHECK_CONCURRENCY: '8',
    };
    // One after the other: the first applies the migrations.
    instances.push(await startTenantryProcess(env));
    instances.push(await startTenantryProcess(env));
    const [survivor, victim] = instances;

    // Both see each other (heartbeats) before any vendor work: each takes half the budget.
    await eventually(
      () =>
        /"instances":2/.test(survivor.output()) && /"instances":2/.test(victim.output()) ? true : undefined,
      15_000,
    );

    const api = await TenantryApi.signIn(survivor.url, ADMIN.email, ADMIN.password);
    await connectSandboxMisp(api);
    const ids = await activeSubscriberIds(api, COMPANIES);
    expect(ids).toHaveLength(COMPANIES);
    const template = await api.expect<{ id: string }>(201, 'POST', '/v1/provisioning/templates', {
      name: 'scale-out',
      spec: {
        customers: [
          { email: 'first@{{ subscriber.ipaasCompanyId }}.test', firstName: 'First', lastName: 'Customer' },
        ],
      },
    });
    emulator.control.clearJournal();
    const job = await api.expect<JobView>(201, 'POST', '/v1/provisioning/jobs', {
      templateId: template.id,
      mode: 'apply',
      subscribers: ids.map((subscriberId) => ({ subscriberId })),
    });

    // Let both instances work on it, then kill one without warning.
    await eventually(async () => {
      const view = await api.expect<JobView>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
      return view.counts.succeeded >= COMPANIES * 0.3 ? true : undefined;
    }, 60_000);
    await victim.kill('SIGKILL');
    const victimTicks = claimedTicks(victim.output());

    const final = await eventually(async () => {
      const view = await api.expect<JobView>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
      return ['succeeded', 'completed_with_errors', 'failed', 'cancelled'].includes(view.state)
        ? view
        : undefined;
    }, 120_000);
    expect(final).toMatchObject({ state: 'succeeded', counts: { total: COMPANIES, succeeded: COMPANIES } });

    const journal = emulator.control.journal();
    // Every company got exactly one customer: no item ran twice, even the ones the victim held.
    expect(emulator.control.stats().duplicateCreates).toBe(0);
    const creates = journal.filter((entry) => entry.method === 'POST' && /customer/i.test(entry.url));
    expect(new Set(creates.map((entry) => entry.companyId)).size).toBe(COMPANIES);
    expect(creates).toHaveLength(COMPANIES);
    // Company tokens: one ChangeCompany per company, not one per instance (the victim may have died holding a
    // few unsaved mints, which the survivor then repeats).
    const mints = journal.filter((entry) => /ChangeCompany/i.test(entry.url)).length;
    expect(mints).toBeGreaterThanOrEqual(COMPANIES);
    expect(mints).toBeLessThanOrEqual(COMPANIES + 32);
    // The vendor never saw more than the aggregate limit (+10%) in any second.
    const busiest = maxInAnyWindow(
      journal.map((entry) => Date.parse(entry.at)),
      1000,
    );
    process.stdout.write(`scale-out: busiest second ${busiest} requests (limit ${AGGREGATE_RATE})\n`);
    expect(busiest).toBeLessThanOrEqual(AGGREGATE_RATE * 1.1);

    // The sweep ran once per tick across the fleet: no tick was claimed by both instances.
    const survivorTicks = claimedTicks(survivor.output());
    const ticks = [...victimTicks, ...survivorTicks];
    expect(ticks.length).toBeGreaterThan(0);
    expect(new Set(ticks).size).toBe(ticks.length);
  }, 300_000);
});
