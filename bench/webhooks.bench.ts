/**
 * `npm run bench:webhooks`: signed Standard Webhooks deliveries with unique ids at 50 req/s for 30 s
 * (BENCH_SECONDS to shorten) on loopback, each an onboard event that becomes a real provisioning job against
 * the emulator (own process, 20 ms latency), Tenantry as a compiled process on SQLite. Requests are sent
 * open-loop on a fixed schedule (a slow answer does not delay the next request), so queueing shows in the
 * latency.
 *
 * Targets: p99 acknowledgement latency < 50 ms, 0 non-2xx, events stored = jobs created = deliveries.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { webhookHeaders } from '../src/common/standard-webhooks';
import { connectSandboxMisp } from '../scripts/lib/fleet';
import { TenantryApi } from '../scripts/lib/tenantry-api';
import {
  startTenantryProcess,
  type TenantryProcess,
  throwawayInstanceEnv,
} from '../scripts/lib/tenantry-process';
import { type EmulatorProcess, startEmulatorProcess } from './emulator-process';

const RATE = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const DELIVERIES = RATE * SECONDS;
const P99_TARGET_MS = 50;
const ADMIN = { email: 'bench-admin@tenantry.test', password: randomBytes(18).toString('base64url') };

const TEMPLATE = {
  name: 'bench-webhook-onboarding',
  spec: {
    users: [
      { email: 'it-admin@{{ subscriber.ipaasCompanyId }}.example.test', firstName: 'IT', lastName: 'Admin' },
    ],
    customers: [
      {
        email: 'first@{{ subscriber.ipaasCompanyId }}.example.test',
        firstName: 'First',
        lastName: 'Customer',
      },
    ],
  },
};

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

/** The X-Pagination total of a list. */
async function totalOf(api: TenantryApi, path: string): Promise<number> {
  const response = await api.request('GET', path);
  return (
    (JSON.parse(response.headers.get('x-pagination') ?? '{}') as { total_Count?: number }).total_Count ?? 0
  );
}

/** ipaasCompanyIds of the synced subscribers, one per delivery (reused round-robin when there are fewer). */
async function companyIds(api: TenantryApi, wanted: number): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ids.length < wanted; page += 1) {
    const rows = await api.expect<{ ipaasCompanyId: string }[]>(
      200,
      'GET',
      `/v1/subscribers?status=active&pageSize=500&pageNumber=${page}`,
    );
    if (rows.length === 0) {
      break;
    }
    ids.push(...rows.map((row) => row.ipaasCompanyId));
  }
  return ids;
}

async function main(): Promise<void> {
  let emulator: EmulatorProcess | undefined;
  let tenantry: TenantryProcess | undefined;
  const directory = mkdtempSync(join(tmpdir(), 'tenantry-bench-webhooks-'));
  try {
    emulator = await startEmulatorProcess({
      EMULATOR_SUBSCRIBERS: String(DELIVERIES),
      EMULATOR_PENDING_REQUESTS: '0',
      EMULATOR_LATENCY_MS: '20',
      EMULATOR_RATE_PER_SECOND: '0',
      EMULATOR_CONCURRENCY: '0',
      EMULATOR_JOURNAL_SIZE: '100',
    });
    tenantry = await startTenantryProcess(
      { ...throwawayInstanceEnv(directory, ADMIN), IPAAS_BASE_URL: emulator.url },
      { compiled: true },
    );
    const api = await TenantryApi.signIn(tenantry.url, ADMIN.email, ADMIN.password);
    await connectSandboxMisp(api);
    const companies = await companyIds(api, DELIVERIES);
    const template = await api.expect<{ id: string }>(201, 'POST', '/v1/provisioning/templates', TEMPLATE);
    const source = await api.expect<{ id: string; secret: string }>(201, 'POST', '/v1/webhook-sources', {
      name: 'bench billing',
      rules: [
        {
          eventType: 'customer.signed_up',
          action: 'onboard',
          templateId: template.id,
          subscriber: { ipaasCompanyId: 'data.companyId' },
        },
      ],
    });
    const jobsBefore = await totalOf(api, '/v1/provisioning/jobs?pageSize=1');

    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const deliver = async (index: number): Promise<void> => {
      const body = JSON.stringify({
        type: 'customer.signed_up',
        data: { companyId: companies[index % companies.length], delivery: index },
      });
      const headers = webhookHeaders(
        source.secret,
        `msg_${randomUUID()}`,
        Math.floor(Date.now() / 1000),
        body,
      );
      const sent = performance.now();
      let status = 0;
      try {
        const response = await fetch(`${(tenantry as TenantryProcess).url}/v1/webhooks/${source.id}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        status = response.status;
      } finally {
        latencies.push(performance.now() - sent);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let index = 0; index < DELIVERIES; index += 1) {
      const due = started + (index * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      inFlight.push(deliver(index));
    }
    await Promise.all(inFlight);
    const wallSeconds = (performance.now() - started) / 1000;

    const events = await totalOf(api, `/v1/webhooks/events?sourceId=${source.id}&pageSize=1`);
    const jobs = (await totalOf(api, '/v1/provisioning/jobs?pageSize=1')) - jobsBefore;
    const sorted = [...latencies].sort((a, b) => a - b);
    const [p50, p99, max] = [
      percentile(sorted, 0.5),
      percentile(sorted, 0.99),
      sorted[sorted.length - 1] ?? 0,
    ];
    const non2xx = [...statuses]
      .filter(([status]) => status < 200 || status >= 300)
      .reduce((n, [, c]) => n + c, 0);
    const pass = p99 < P99_TARGET_MS && non2xx === 0 && events === DELIVERIES && jobs === DELIVERIES;
    process.stdout.write(
      [
        `webhook deliveries: ${DELIVERIES} signed onboard events at ${RATE} req/s (${wallSeconds.toFixed(1)} s)`,
        `  ack latency p50 / p99 / max  ${p50.toFixed(1)} / ${p99.toFixed(1)} / ${max.toFixed(1)} ms (target p99 < ${P99_TARGET_MS} ms)`,
        `  statuses                     ${[...statuses].map(([status, n]) => `${status}×${n}`).join(', ')}`,
        `  non-2xx                      ${non2xx} (target 0)`,
        `  events stored                ${events} (target ${DELIVERIES})`,
        `  jobs created                 ${jobs} (target ${DELIVERIES})`,
        `  => ${pass ? 'PASS' : 'MISS'}`,
        '',
      ].join('\n'),
    );
    process.exitCode = pass ? 0 : 1;
  } catch (error) {
    process.stderr.write(`bench failed; Tenantry's last output:\n${tenantry?.output().slice(-4000) ?? ''}\n`);
    throw error;
  } finally {
    await tenantry?.kill('SIGTERM');
    emulator?.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

void main();
