/**
 * `npm run bench:health`: one health-check sweep over 10,000 companies against the emulator in its own
 * process (20 ms latency), Tenantry as a compiled process with an aggregate vendor limit of 500 req/s and 128
 * checks in flight. Each check is one authenticated read; the sweep also reads the MiSP's subscriber list.
 *
 * bound = vendor calls during the sweep ÷ 500 req/s; ratio = wall ÷ bound (target ≤ 1.10); Tenantry's peak RSS
 * (target < 300 MB). Company tokens are minted before the sweep and reported apart, as in the other benches
 * (ChangeCompany is a call of the MiSP user, whom the vendor limits like a company; 100 req/s here).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { StatsSnapshot } from '../src/ipaas-emulator';
import { activeSubscriberIds, connectSandboxMisp, mintCompanyTokens } from '../scripts/lib/fleet';
import { TenantryApi } from '../scripts/lib/tenantry-api';
import {
  startTenantryProcess,
  type TenantryProcess,
  throwawayInstanceEnv,
} from '../scripts/lib/tenantry-process';
import { type EmulatorProcess, procKb, startEmulatorProcess } from './emulator-process';

const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 10000);
const AGGREGATE_RATE = 500;
const IDENTITY_RATE = 100;
const ADMIN = { email: 'bench-admin@tenantry.test', password: randomBytes(18).toString('base64url') };

interface Summary {
  lastSweep: { finishedAt: string | null; checked: number; durationMs: number | null } | null;
  counts: { status: string; count: number }[];
}

async function main(): Promise<void> {
  let emulator: EmulatorProcess | undefined;
  let tenantry: TenantryProcess | undefined;
  const directory = mkdtempSync(join(tmpdir(), 'tenantry-bench-health-'));
  let peakRssKb = 0;
  const sampler = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, tenantry ? (procKb(tenantry.pid, 'VmHWM') ?? 0) : 0);
  }, 250);
  try {
    emulator = await startEmulatorProcess({
      EMULATOR_SUBSCRIBERS: String(COMPANIES),
      EMULATOR_PENDING_REQUESTS: '0',
      EMULATOR_LATENCY_MS: '20',
      EMULATOR_RATE_PER_SECOND: String(IDENTITY_RATE),
      EMULATOR_BURST: String(IDENTITY_RATE),
      EMULATOR_CONCURRENCY: '16',
      EMULATOR_JOURNAL_SIZE: '100',
    });
    const stats = async (): Promise<StatsSnapshot> =>
      (await fetch(`${(emulator as EmulatorProcess).url}/__emulator/stats`)).json() as Promise<StatsSnapshot>;
    tenantry = await startTenantryProcess(
      {
        ...throwawayInstanceEnv(directory, ADMIN),
        IPAAS_BASE_URL: emulator.url,
        IPAAS_GLOBAL_RATE_PER_SECOND: String(AGGREGATE_RATE),
        IPAAS_COMPANY_RATE_PER_SECOND: String(IDENTITY_RATE),
        IPAAS_COMPANY_CONCURRENCY: '16',
        HEALTH_CHECK_CONCURRENCY: '128',
        // Never fires during the bench: the sweep is started on demand.
        HEALTH_CHECK_CRON: '0 0 1 1 *',
      },
      { compiled: true },
    );
    const api = await TenantryApi.signIn(tenantry.url, ADMIN.email, ADMIN.password);
    await connectSandboxMisp(api);
    const ids = await activeSubscriberIds(api, COMPANIES);
    const mintSeconds = await mintCompanyTokens(api, ids, 32);

    const before = await stats();
    const started = Date.now();
    await api.expect(202, 'POST', '/v1/health-checks/run');
    let summary: Summary;
    for (;;) {
      summary = await api.expect<Summary>(200, 'GET', '/v1/health-checks/summary');
      if (summary.lastSweep?.finishedAt) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const after = await stats();
    const calls = after.totalCalls - before.totalCalls;
    const boundSeconds = calls / AGGREGATE_RATE;
    const ratio = wallSeconds / boundSeconds;
    const peakRssMb = peakRssKb / 1024;
    const pass = ratio <= 1.1 && peakRssMb < 300;
    process.stdout.write(
      [
        `health sweep: ${COMPANIES} companies, ${summary.lastSweep?.checked ?? 0} checked`,
        `  by status                    ${summary.counts.map((c) => `${c.status} ${c.count}`).join(', ')}`,
        `  vendor calls during sweep    ${calls}`,
        `  wall time                    ${wallSeconds.toFixed(1)} s (sweep's own duration ${((summary.lastSweep?.durationMs ?? 0) / 1000).toFixed(1)} s)`,
        `  bound (calls ÷ ${AGGREGATE_RATE} req/s)     ${boundSeconds.toFixed(1)} s`,
        `  ratio                        ${ratio.toFixed(3)} (target ≤ 1.10)`,
        `  Tenantry peak RSS            ${peakRssMb.toFixed(0)} MB (target < 300 MB)`,
        `  token mints before the sweep ${mintSeconds.toFixed(1)} s (${ids.length} ChangeCompany at the MiSP user's ${IDENTITY_RATE} req/s)`,
        `  => ${pass ? 'PASS' : 'MISS'}`,
        '',
      ].join('\n'),
    );
    process.exitCode = pass ? 0 : 1;
  } catch (error) {
    process.stderr.write(`bench failed; Tenantry's last output:\n${tenantry?.output().slice(-4000) ?? ''}\n`);
    throw error;
  } finally {
    clearInterval(sampler);
    await tenantry?.kill('SIGTERM');
    emulator?.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

void main();
