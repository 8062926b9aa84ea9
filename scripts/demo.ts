/**
 * `npm run demo`: the whole product in one minute on a fresh clone. Starts the iPaaS.com emulator and a
 * Tenantry process on a fresh temporary SQLite database, signs in, syncs the sandbox subscribers, onboards
 * 200 companies with one bulk job while drawing a progress bar from the job's event stream, and prints a
 * summary. Exits 0 only when every company succeeded; always stops what it started and deletes the temp
 * folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startEmulator, type StartedEmulator } from '../src/ipaas-emulator';
import { activeSubscriberIds, connectSandboxMisp } from './lib/fleet';
import { ONBOARDING_TEMPLATE } from './lib/onboarding-template';
import { TenantryApi } from './lib/tenantry-api';
import { startTenantryProcess, type TenantryProcess, throwawayInstanceEnv } from './lib/tenantry-process';

const COMPANIES = 200;
const GLOBAL_RATE_PER_SECOND = 200;
const COMPANY_RATE_PER_SECOND = 10;
const ADMIN = { email: 'demo-admin@tenantry.test', password: randomBytes(18).toString('base64url') };

interface Counts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

interface Job {
  id: string;
  state: string;
  counts: Counts;
  vendorCalls: number;
  throughputPerSecond: number;
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function progressBar(counts: Counts, vendorCalls: number, startedMs: number): string {
  const done = counts.succeeded + counts.failed + counts.skipped + counts.cancelled;
  const width = 40;
  const filled = counts.total === 0 ? 0 : Math.round((done / counts.total) * width);
  const seconds = (Date.now() - startedMs) / 1000;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${counts.total} companies` +
    `  ok ${counts.succeeded}  failed ${counts.failed}  vendor calls ${vendorCalls}  ${seconds.toFixed(1)} s`
  );
}

async function run(directory: string, started: { emulator?: StartedEmulator; tenantry?: TenantryProcess }) {
  print('Tenantry demo: onboarding 200 sandbox companies through the iPaaS.com emulator');
  const emulator = await startEmulator({
    port: 0,
    seed: { subscribers: COMPANIES, pendingRequests: 3 },
    latency: { fixedMs: 20, jitterMs: 5 },
    limits: { ratePerSecond: COMPANY_RATE_PER_SECOND, burst: COMPANY_RATE_PER_SECOND },
  });
  started.emulator = emulator;
  print(`  emulator        ${emulator.url}`);
  const tenantry = await startTenantryProcess({
    ...throwawayInstanceEnv(directory, ADMIN),
    IPAAS_BASE_URL: emulator.url,
    IPAAS_GLOBAL_RATE_PER_SECOND: String(GLOBAL_RATE_PER_SECOND),
    IPAAS_COMPANY_RATE_PER_SECOND: String(COMPANY_RATE_PER_SECOND),
  });
  started.tenantry = tenantry;
  print(`  tenantry        ${tenantry.url}  (database ${directory})`);

  const api = await TenantryApi.signIn(tenantry.url, ADMIN.email, ADMIN.password);
  print(`  signed in       ${ADMIN.email}`);
  const sync = await connectSandboxMisp(api);
  print(`  synced          ${sync.added} subscribers added from iPaaS.com`);
  const template = await api.expect<{ id: string }>(
    201,
    'POST',
    '/v1/provisioning/templates',
    ONBOARDING_TEMPLATE,
  );
  const ids = await activeSubscriberIds(api, COMPANIES);
  const job = await api.expect<Job>(
    201,
    'POST',
    '/v1/provisioning/jobs',
    { templateId: template.id, mode: 'apply', subscribers: ids.map((subscriberId) => ({ subscriberId })) },
    { 'idempotency-key': `demo-${randomBytes(8).toString('hex')}` },
  );
  print(`  job             ${job.id} (${ids.length} companies, template ${ONBOARDING_TEMPLATE.name})`);
  print();

  const startedMs = Date.now();
  const interactive = process.stdout.isTTY;
  let lastLine = '';
  await api.streamEvents(`/v1/provisioning/jobs/${job.id}/events`, (event) => {
    if (event.event !== 'progress') {
      return;
    }
    const data = event.data as { counts: Counts; vendorCalls: number };
    lastLine = progressBar(data.counts, data.vendorCalls, startedMs);
    if (interactive) {
      process.stdout.write(`\r${lastLine}`);
    }
  });
  print(interactive ? '' : lastLine);
  const wallSeconds = (Date.now() - startedMs) / 1000;
  const final = await api.expect<Job>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
  const stats = emulator.control.stats();
  const callsPerSecond = final.vendorCalls / wallSeconds;

  print();
  // Each company needs one ChangeCompany as the MiSP user first, and the vendor limits that user like a
  // company: the job cannot end sooner than either bound.
  const mintBoundSeconds = ids.length / COMPANY_RATE_PER_SECOND;
  const boundSeconds = Math.max(final.vendorCalls / GLOBAL_RATE_PER_SECOND, mintBoundSeconds);
  const rows: [string, string][] = [
    ['job state', final.state],
    ['companies succeeded', String(final.counts.succeeded)],
    ['companies failed', String(final.counts.failed + final.counts.skipped + final.counts.cancelled)],
    ['vendor calls', String(final.vendorCalls)],
    ['duplicate creates at the vendor', String(stats.duplicateCreates)],
    ['wall time', `${wallSeconds.toFixed(1)} s`],
    ['throughput', `${callsPerSecond.toFixed(0)} calls/s (aggregate limit ${GLOBAL_RATE_PER_SECOND}/s)`],
    [
      'vendor-imposed bound',
      `${boundSeconds.toFixed(1)} s (max of calls ÷ ${GLOBAL_RATE_PER_SECOND}/s and ${ids.length} ChangeCompany ÷ the MiSP user's ${COMPANY_RATE_PER_SECOND}/s): wall = ${(wallSeconds / boundSeconds).toFixed(2)} × bound`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) {
    print(`  ${label.padEnd(width)}  ${value}`);
  }
  return final.state === 'succeeded' && stats.duplicateCreates === 0;
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'tenantry-demo-'));
  const started: { emulator?: StartedEmulator; tenantry?: TenantryProcess } = {};
  let ok = false;
  try {
    ok = await run(directory, started);
  } catch (error) {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (started.tenantry) {
      process.stderr.write(`--- Tenantry output ---\n${started.tenantry.output()}\n`);
    }
  } finally {
    await started.tenantry?.kill('SIGTERM');
    await started.emulator?.close();
    rmSync(directory, { recursive: true, force: true });
  }
  process.exit(ok ? 0 : 1);
}

void main();
