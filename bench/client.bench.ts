/**
 * `npm run bench:client`: 10,000 company-scoped reads across 100 companies through Tenantry's real client
 * stack (company tokens minted through ChangeCompany, CallScheduler, retries) against the emulator with 20 ms
 * latency and a per-company limit of 10 req/s enforced by the emulator too.
 *
 * The bound is calls ÷ allowed aggregate rate (100 companies × 10 req/s = 1,000 req/s → 10 s). Target:
 * wall time ÷ bound ≤ 1.10 and 0 failed calls. Token mints (1 login + 100 ChangeCompany) happen before the
 * timed run and are reported apart: they are calls of the MiSP user, bounded by that user's own limit at the
 * vendor (100 mints at 10 req/s ≈ 10 s), and a company token then serves an hour of reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import axios from 'axios';

import { createApp } from '../src/app.setup';
import { CompanyVendorService } from '../src/company-context/company-vendor.service';
import { CompanyContextService } from '../src/company-context/company-context.service';
import { CompanyTokensService } from '../src/company-context/company-tokens.service';
import { loadConfig } from '../src/config/load-config';
import type { StatsSnapshot } from '../src/ipaas-emulator';
import { VendorError } from '../src/ipaas/vendor-error';
import { SubscribersService } from '../src/subscribers/subscribers.service';
import { procKb, startEmulatorProcess } from './emulator-process';

const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 100);
const CALLS = Number(process.env.BENCH_CALLS ?? 10000);
const COMPANY_RATE = 10;
const TARGET_RATIO = 1.1;

async function main(): Promise<void> {
  // The emulator runs in its own process (its own core), as the vendor would.
  const emulator = await startEmulatorProcess({
    EMULATOR_SUBSCRIBERS: String(COMPANIES),
    EMULATOR_PENDING_REQUESTS: '0',
    EMULATOR_LATENCY_MS: '20',
    EMULATOR_RATE_PER_SECOND: String(COMPANY_RATE),
    EMULATOR_BURST: String(COMPANY_RATE),
    EMULATOR_CONCURRENCY: '10',
    EMULATOR_JOURNAL_SIZE: '100',
  });
  const stats = async (): Promise<StatsSnapshot> =>
    (await axios.get<StatsSnapshot>(`${emulator.url}/__emulator/stats`)).data;
  const directory = mkdtempSync(join(tmpdir(), 'tenantry-bench-client-'));
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    DATABASE_URL: `sqlite:${join(directory, 'bench.sqlite')}`,
    IPAAS_BASE_URL: emulator.url,
    IPAAS_COMPANY_RATE_PER_SECOND: String(COMPANY_RATE),
    IPAAS_COMPANY_CONCURRENCY: '4',
    IPAAS_GLOBAL_RATE_PER_SECOND: String(COMPANIES * COMPANY_RATE),
  });
  const app = await createApp(config, { logDestination: { write: () => undefined } });
  await app.init();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);

  try {
    const subscribers = app.get(SubscribersService);
    await app.get(CompanyContextService).replaceMispLogin('misp@sandbox.test', 'sandbox-pass');
    const ids: string[] = [];
    const login = await axios.post<{ id: number; access_token: string }>(
      `${emulator.url}/sso/v2/Auth/Login`,
      {
        email_address: 'misp@sandbox.test',
        password: 'sandbox-pass',
      },
    );
    const companies = await axios.get<{ id: string; name: string }[]>(
      `${emulator.url}/sso/v2/User/${login.data.id}/Companies?pageSize=1000`,
      { headers: { Authorization: `Bearer ${login.data.access_token}` } },
    );
    const mispCompanyId = (await axios.get<{ mispCompanyId: string }>(`${emulator.url}/__emulator/demo`)).data
      .mispCompanyId;
    const subscriberIds = companies.data.map((company) => company.id).filter((id) => id !== mispCompanyId);
    for (const [index, ipaasCompanyId] of subscriberIds.slice(0, COMPANIES).entries()) {
      ids.push((await subscribers.create({ ipaasCompanyId, name: `Bench ${index}` })).id);
    }
    const vendor = app.get(CompanyVendorService);
    const tokens = app.get(CompanyTokensService);
    const mintStarted = performance.now();
    await Promise.all(ids.map((id) => tokens.forCompany(id)));
    const mintSeconds = (performance.now() - mintStarted) / 1000;
    const before = await stats();
    const mintCalls = before.totalCalls - 2; // less the bench's own login and Companies read

    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const cpuStart = process.cpuUsage();
    let failed = 0;
    const failures = new Map<string, number>();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CALLS }, (_, index) =>
        vendor
          .call(ids[index % ids.length], 'listSubscriptions', { query: { pageNumber: 1, pageSize: 1 } })
          .catch((error: unknown) => {
            failed += 1;
            const kind = error instanceof VendorError ? error.kind : String(error);
            failures.set(kind, (failures.get(kind) ?? 0) + 1);
          }),
      ),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuStart);
    const after = await stats();
    const boundSeconds = CALLS / (COMPANIES * COMPANY_RATE);
    const ratio = wallSeconds / boundSeconds;
    const status429 = countStatus(after, 429) - countStatus(before, 429);

    const lines = [
      `bench:client — ${CALLS} reads across ${COMPANIES} companies, emulator latency 20 ms, ${COMPANY_RATE} req/s per company`,
      `wall time:        ${wallSeconds.toFixed(2)} s`,
      `bound:            ${boundSeconds.toFixed(2)} s (calls ÷ ${COMPANIES * COMPANY_RATE} req/s allowed in aggregate)`,
      `ratio:            ${ratio.toFixed(3)} (target ≤ ${TARGET_RATIO}) ${ratio <= TARGET_RATIO ? 'MET' : 'MISSED'}`,
      `failed calls:     ${failed}${failed > 0 ? ` ${JSON.stringify(Object.fromEntries(failures))}` : ''} (target 0)`,
      `429s received:    ${status429}`,
      `vendor calls:     ${after.totalCalls - before.totalCalls} during the timed run (reads + 429 answers)`,
      `token mints:      ${mintCalls} calls (login + ChangeCompany) in ${mintSeconds.toFixed(2)} s before the timed run`,
      `Tenantry CPU:     ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
      `peak RSS:         ${(peakRss / 1024 / 1024).toFixed(0)} MiB (Tenantry), emulator ${((procKb(emulator.pid, 'VmHWM') ?? 0) / 1024).toFixed(0)} MiB`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clearInterval(sampler);
    await app.close();
    emulator.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

function countStatus(stats: StatsSnapshot, status: number): number {
  return stats.byStatus[String(status)] ?? 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
