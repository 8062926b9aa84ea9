/**
 * One timed bulk provisioning job against the emulator in its own process, shared by bench:provisioning
 * (one instance, SQLite, with and without faults) and bench:scale (one or more instances, SQLite or
 * PostgreSQL). Tenantry runs compiled, as `npm run start:prod` runs it.
 *
 * bound = vendor calls made during the job ÷ the aggregate limit; ratio = wall time ÷ bound. Company tokens are
 * minted before the timed job and reported apart: ChangeCompany is a call of the MiSP user, whom the vendor
 * limits like a company, so 1,000 mints take ~100 s at 10 req/s whatever Tenantry does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EmulatorControlClient } from '../scripts/lib/emulator-control';
import { activeSubscriberIds, connectSandboxMisp, mintCompanyTokens } from '../scripts/lib/fleet';
import { TenantryApi } from '../scripts/lib/tenantry-api';
import {
  startTenantryProcess,
  type TenantryProcess,
  throwawayInstanceEnv,
} from '../scripts/lib/tenantry-process';
import { createThrowawayDatabase } from '../scripts/lib/throwaway-database';
import { procKb, startEmulatorProcess } from './emulator-process';

export const COMPANY_RATE = 10;
export const AGGREGATE_RATE = 200;
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

export interface RunOptions {
  label: string;
  companies: number;
  /** Tenantry processes sharing the database (more than one needs PostgreSQL). */
  instances?: number;
  /** A PostgreSQL server to create the run's database on; SQLite when absent. */
  postgresServerUrl?: string;
  /** Probability of an injected 503 on customer and SSO calls. */
  faultProbability?: number;
}

export interface RunResult {
  label: string;
  companies: number;
  instances: number;
  state: string;
  succeeded: number;
  failed: number;
  calls: number;
  wallSeconds: number;
  boundSeconds: number;
  ratio: number;
  mintSeconds: number;
  /** The highest VmHWM among the instances. */
  peakRssMb: number;
  duplicates: number;
  faultsInjected: number;
}

interface JobView {
  state: string;
  counts: { succeeded: number; failed: number; skipped: number; cancelled: number };
}

export async function runProvisioningJob(options: RunOptions): Promise<RunResult> {
  const instanceCount = options.instances ?? 1;
  const emulator = await startEmulatorProcess({
    EMULATOR_SUBSCRIBERS: String(options.companies),
    EMULATOR_PENDING_REQUESTS: '0',
    EMULATOR_LATENCY_MS: '20',
    EMULATOR_RATE_PER_SECOND: String(COMPANY_RATE),
    EMULATOR_BURST: String(COMPANY_RATE),
    EMULATOR_CONCURRENCY: '10',
    EMULATOR_JOURNAL_SIZE: '100',
  });
  const control = new EmulatorControlClient(emulator.url);
  const directory = mkdtempSync(join(tmpdir(), 'tenantry-bench-provisioning-'));
  const database = await createThrowawayDatabase(directory, options.postgresServerUrl);
  const env = {
    ...throwawayInstanceEnv(directory, ADMIN, database.url),
    IPAAS_BASE_URL: emulator.url,
    IPAAS_GLOBAL_RATE_PER_SECOND: String(AGGREGATE_RATE),
    IPAAS_COMPANY_RATE_PER_SECOND: String(COMPANY_RATE),
    IPAAS_COMPANY_CONCURRENCY: '4',
  };
  const instances: TenantryProcess[] = [];
  let peakRssKb = 0;
  const sampler = setInterval(() => {
    for (const instance of instances) {
      peakRssKb = Math.max(peakRssKb, procKb(instance.pid, 'VmHWM') ?? 0);
    }
  }, 250);
  try {
    // One after the other: the first applies the migrations (and builds dist/ once).
    for (let index = 0; index < instanceCount; index += 1) {
      instances.push(await startTenantryProcess(env, { compiled: true, build: index === 0 }));
    }
    if (instanceCount > 1) {
      // Two heartbeats, so every instance applies its share of the budget before the vendor sees any call.
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    const apis = await Promise.all(
      instances.map((instance) => TenantryApi.signIn(instance.url, ADMIN.email, ADMIN.password)),
    );
    const [api] = apis;
    await connectSandboxMisp(api);
    const ids = await activeSubscriberIds(api, options.companies);
    // Each instance mints a share of the tokens (each has only its share of the MiSP user's rate).
    const mintSeconds = Math.max(
      ...(await Promise.all(
        apis.map((each, index) =>
          mintCompanyTokens(
            each,
            ids.filter((_, position) => position % apis.length === index),
            20,
          ),
        ),
      )),
    );
    const template = await api.expect<{ id: string }>(
      201,
      'POST',
      '/v1/provisioning/templates',
      BENCH_TEMPLATE,
    );
    const probability = options.faultProbability ?? 0;
    if (probability > 0) {
      for (const path of ['/customers/**', '/sso/v2/**']) {
        await control.addFault({ path, probability, action: { type: 'respond', status: 503 } });
      }
    }
    const before = await control.stats();
    const started = Date.now();
    const job = await api.expect<{ id: string }>(201, 'POST', '/v1/provisioning/jobs', {
      templateId: template.id,
      mode: 'apply',
      subscribers: ids.map((subscriberId) => ({ subscriberId })),
    });
    await api.streamEvents(`/v1/provisioning/jobs/${job.id}/events`, () => undefined);
    const wallSeconds = (Date.now() - started) / 1000;
    const after = await control.stats();
    const final = await api.expect<JobView>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
    const calls = after.totalCalls - before.totalCalls;
    const boundSeconds = calls / AGGREGATE_RATE;
    return {
      label: options.label,
      companies: options.companies,
      instances: instanceCount,
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
    };
  } finally {
    clearInterval(sampler);
    for (const instance of instances) {
      await instance.kill('SIGTERM');
    }
    emulator.close();
    await database.drop();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Prints a run's figures; true when it met `target` (ratio), RSS < 300 MB, 0 duplicates and succeeded. */
export function reportRun(result: RunResult, target: number): boolean {
  const pass =
    result.ratio <= target &&
    result.peakRssMb < 300 &&
    result.duplicates === 0 &&
    result.state === 'succeeded';
  const faults = result.faultsInjected > 0 ? ` (${result.faultsInjected} answered with an injected 503)` : '';
  process.stdout.write(
    [
      `${result.label}: ${result.companies} companies, ${result.instances} instance(s), job ${result.state} (${result.succeeded} succeeded, ${result.failed} not)`,
      `  vendor calls during the job  ${result.calls}${faults}`,
      `  wall time                    ${result.wallSeconds.toFixed(1)} s`,
      `  bound (calls ÷ ${AGGREGATE_RATE} req/s)     ${result.boundSeconds.toFixed(1)} s`,
      `  ratio                        ${result.ratio.toFixed(3)} (target ≤ ${target})`,
      `  Tenantry peak RSS            ${result.peakRssMb.toFixed(0)} MB per instance (target < 300 MB)`,
      `  duplicate creates            ${result.duplicates}`,
      `  token mints before the job   ${result.mintSeconds.toFixed(1)} s (${result.companies} ChangeCompany at the MiSP user's ${COMPANY_RATE} req/s)`,
      `  => ${pass ? 'PASS' : 'MISS'}`,
      '',
    ].join('\n'),
  );
  return pass;
}
