/**
 * `npm run bench:provisioning`: one bulk job onboarding 1,000 companies with a template of six vendor calls
 * per company (ensure a role, a user holding it, and a customer: a read and a create each), against the
 * emulator in its own process with 20 ms latency and a limit of 10 req/s per company, Tenantry in its own
 * process with an aggregate limit of 200 req/s.
 *
 * bound = vendor calls made during the job ÷ 200 req/s; ratio = wall time ÷ bound. Targets: ratio ≤ 1.15
 * clean, ≤ 1.30 with 5% injected faults (503s), Tenantry's peak RSS under 300 MB, 0 duplicate creates.
 *
 * Company tokens are minted before the timed job and reported apart (as in bench:client): ChangeCompany is
 * a call of the MiSP user, whom the vendor limits like a company (10 req/s), so 1,000 mints take ~100 s
 * whatever Tenantry does, and a minted token then serves an hour of work.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { StatsSnapshot } from '../src/ipaas-emulator';
import { activeSubscriberIds, connectSandboxMisp, mintCompanyTokens } from '../scripts/lib/fleet';
import { TenantryApi } from '../scripts/lib/tenantry-api';
import { startTenantryProcess, throwawayInstanceEnv } from '../scripts/lib/tenantry-process';
import { procKb, startEmulatorProcess } from './emulator-process';

const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 1000);
const COMPANY_RATE = 10;
const AGGREGATE_RATE = 200;
const FAULT_PROBABILITY = 0.05;
const ADMIN = { email: 'bench-admin@tenantry.test', password: randomBytes(18).toString('base64url') };

const BENCH_TEMPLATE = {
  name: 'bench-onboarding',
  spec: {
    roles: [{ name: 'Fleet Operator', description: 'Managed by Tenantry', permissions: ['Customer'] }],
    users: [
      {
        email: 'operator@{{ subscriber.ipaasCompanyId }}.example.test',
        firstName: 'Fleet',
        lastName: 'Operator',
        roles: ['Fleet Operator'],
      },
    ],
    customers: [
      {
        email: 'first-customer@{{ subscriber.ipaasCompanyId }}.example.test',
        firstName: 'First',
        lastName: 'Customer',
      },
    ],
  },
};

interface RunResult {
  label: string;
  state: string;
  succeeded: number;
  failed: number;
  calls: number;
  wallSeconds: number;
  boundSeconds: number;
  ratio: number;
  mintSeconds: number;
  peakRssMb: number;
  duplicates: number;
  faultsInjected: number;
  target: number;
}

interface JobView {
  state: string;
  counts: { succeeded: number; failed: number; skipped: number; cancelled: number };
  vendorCalls: number;
}

async function runOnce(label: string, faults: boolean, target: number): Promise<RunResult> {
  const emulator = await startEmulatorProcess({
    EMULATOR_SUBSCRIBERS: String(COMPANIES),
    EMULATOR_PENDING_REQUESTS: '0',
    EMULATOR_LATENCY_MS: '20',
    EMULATOR_RATE_PER_SECOND: String(COMPANY_RATE),
    EMULATOR_BURST: String(COMPANY_RATE),
    EMULATOR_CONCURRENCY: '10',
    EMULATOR_JOURNAL_SIZE: '100',
  });
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${emulator.url}/__emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  };
  const directory = mkdtempSync(join(tmpdir(), 'tenantry-bench-provisioning-'));
  const tenantry = await startTenantryProcess(
    {
      ...throwawayInstanceEnv(directory, ADMIN),
      IPAAS_BASE_URL: emulator.url,
      IPAAS_GLOBAL_RATE_PER_SECOND: String(AGGREGATE_RATE),
      IPAAS_COMPANY_RATE_PER_SECOND: String(COMPANY_RATE),
      IPAAS_COMPANY_CONCURRENCY: '4',
    },
    { compiled: true },
  );
  let peakRssKb = 0;
  const sampler = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, procKb(tenantry.pid, 'VmHWM') ?? 0);
  }, 250);
  try {
    const api = await TenantryApi.signIn(tenantry.url, ADMIN.email, ADMIN.password);
    await connectSandboxMisp(api);
    const ids = await activeSubscriberIds(api, COMPANIES);
    const mintSeconds = await mintCompanyTokens(api, ids, 20);
    const template = await api.expect<{ id: string }>(
      201,
      'POST',
      '/v1/provisioning/templates',
      BENCH_TEMPLATE,
    );
    if (faults) {
      await control('POST', 'faults', {
        path: '/customers/**',
        probability: FAULT_PROBABILITY,
        action: { type: 'respond', status: 503 },
      });
      await control('POST', 'faults', {
        path: '/sso/v2/**',
        probability: FAULT_PROBABILITY,
        action: { type: 'respond', status: 503 },
      });
    }
    const before = await control<StatsSnapshot>('GET', 'stats');
    const started = Date.now();
    const job = await api.expect<{ id: string }>(201, 'POST', '/v1/provisioning/jobs', {
      templateId: template.id,
      mode: 'apply',
      subscribers: ids.map((subscriberId) => ({ subscriberId })),
    });
    await api.streamEvents(`/v1/provisioning/jobs/${job.id}/events`, () => undefined);
    const wallSeconds = (Date.now() - started) / 1000;
    const after = await control<StatsSnapshot>('GET', 'stats');
    const final = await api.expect<JobView>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
    const calls = after.totalCalls - before.totalCalls;
    const boundSeconds = calls / AGGREGATE_RATE;
    return {
      label,
      state: final.state,
      succeeded: final.counts.succeeded,
      failed: final.counts.failed + final.counts.skipped + final.counts.cancelled,
      calls,
      wallSeconds,
      boundSeconds,
      ratio: wallSeconds / boundSeconds,
      mintSeconds,
      peakRssMb: peakRssKb / 1024,
      duplicates: after.duplicateCreates,
      faultsInjected: (after.byStatus['503'] ?? 0) - (before.byStatus['503'] ?? 0),
      target,
    };
  } finally {
    clearInterval(sampler);
    await tenantry.kill('SIGTERM');
    emulator.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

function report(result: RunResult): boolean {
  const pass =
    result.ratio <= result.target &&
    result.peakRssMb < 300 &&
    result.duplicates === 0 &&
    result.state === 'succeeded';
  process.stdout.write(
    [
      `${result.label}: ${COMPANIES} companies, job ${result.state} (${result.succeeded} succeeded, ${result.failed} not)`,
      `  vendor calls during the job  ${result.calls}${result.faultsInjected > 0 ? ` (${result.faultsInjected} answered with an injected 503)` : ''}`,
      `  wall time                    ${result.wallSeconds.toFixed(1)} s`,
      `  bound (calls ÷ ${AGGREGATE_RATE} req/s)     ${result.boundSeconds.toFixed(1)} s`,
      `  ratio                        ${result.ratio.toFixed(3)} (target ≤ ${result.target})`,
      `  Tenantry peak RSS            ${result.peakRssMb.toFixed(0)} MB (target < 300 MB)`,
      `  duplicate creates            ${result.duplicates}`,
      `  token mints before the job   ${result.mintSeconds.toFixed(1)} s (${COMPANIES} ChangeCompany at the MiSP user's ${COMPANY_RATE} req/s)`,
      `  => ${pass ? 'PASS' : 'MISS'}`,
      '',
    ].join('\n'),
  );
  return pass;
}

async function main(): Promise<void> {
  const clean = report(await runOnce('clean', false, 1.15));
  const faulty = report(await runOnce(`with ${FAULT_PROBABILITY * 100}% injected 503s`, true, 1.3));
  process.exitCode = clean && faulty ? 0 : 1;
}

void main();
