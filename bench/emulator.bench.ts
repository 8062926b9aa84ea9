/**
 * `npm run bench:emulator`: throughput of a token-authenticated read against the iPaaS.com emulator.
 *
 * The emulator runs in a child process (`npm run emulator`'s entry, compiled with swc into
 * node_modules/.cache/emulator-bench and run by plain node) so autocannon does not share its event loop and
 * its RSS is measured on its own, without the ts-node/TypeScript compiler overhead. Latency injection is off and
 * rate/concurrency limits are disabled (EMULATOR_RATE_PER_SECOND=0, EMULATOR_CONCURRENCY=0); the seed is the
 * 20,000-subscriber maximum. Target: >= 5,000 req/s on the 2-core box. Pass --strict to exit 1 on a miss.
 */
import autocannon from 'autocannon';
import axios from 'axios';

import { procKb, startEmulatorProcess } from './emulator-process';

const TARGET_RPS = 5000;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 20000);

async function main(): Promise<void> {
  const emulator = await startEmulatorProcess({
    EMULATOR_SUBSCRIBERS: String(SUBSCRIBERS),
    EMULATOR_RATE_PER_SECOND: '0',
    EMULATOR_CONCURRENCY: '0',
    EMULATOR_LATENCY_MS: '0',
    EMULATOR_JOURNAL_SIZE: '1000',
  });
  const { url, pid, banner } = emulator;
  process.stdout.write(`${banner}\n`);

  try {
    const login = await axios.post<{ id: number; access_token: string }>(`${url}/sso/v2/Auth/Login`, {
      email_address: 'misp@sandbox.test',
      password: 'sandbox-pass',
    });
    const companies = await axios.get<{ id: string }[]>(
      `${url}/sso/v2/User/${login.data.id}/Companies?pageNumber=2&pageSize=5`,
      {
        headers: { Authorization: `Bearer ${login.data.access_token}` },
      },
    );
    const companyId: string = companies.data[0].id;
    const change = await axios.get<{ access_token: string }>(
      `${url}/sso/v2/User/ChangeCompany/${companyId}`,
      {
        headers: { Authorization: `Bearer ${login.data.access_token}` },
      },
    );
    const headers = { Authorization: `Bearer ${change.data.access_token}` };
    const target = `${url}/subscriptions/v2/Subscriptions?pageSize=1`;

    // Seeding the maximum fleet again through the control plane (what a sandbox reset costs); timed here rather
    // than in a test, where a busy machine would fail a bound that says nothing about correctness.
    const seedStarted = performance.now();
    await axios.post(`${url}/__emulator/seed`, { subscribers: SUBSCRIBERS, pendingRequests: 5 });
    const seedMs = performance.now() - seedStarted;
    const idleRssKb = procKb(pid, 'VmRSS') ?? 0;
    await autocannon({ url: target, headers, connections: CONNECTIONS, duration: 2 }); // warm-up (JIT)
    let peakRssKb = procKb(pid, 'VmRSS') ?? 0;
    const poll = setInterval(() => {
      peakRssKb = Math.max(peakRssKb, procKb(pid, 'VmRSS') ?? 0);
    }, 250);
    const r = await autocannon({ url: target, headers, connections: CONNECTIONS, duration: DURATION_S });
    clearInterval(poll);
    const hwm = procKb(pid, 'VmHWM');
    const stats = (await axios.get(`${url}/__emulator/stats`)).data as { totalCalls: number };
    const health = (await axios.get(`${url}/__emulator/health`)).data as { heapUsedBytes: number };
    const journal = (await axios.get(`${url}/__emulator/requests?limit=0`)).data as { capacity: number };

    const rps = r.requests.average;
    const met = rps >= TARGET_RPS;
    const lines = [
      `route:            GET /subscriptions/v2/Subscriptions?pageSize=1 (company token, ${SUBSCRIBERS} subscribers seeded)`,
      `setup:            emulator in a child process, autocannon ${CONNECTIONS} connections, ${DURATION_S} s, loopback`,
      `requests/s:       ${Math.round(rps)} avg (min ${r.requests.min}, max ${r.requests.max})`,
      `latency:          p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`,
      `total requests:   ${r.requests.total} (emulator counted ${stats.totalCalls} incl. warm-up)`,
      `non-2xx:          ${r.non2xx}; errors ${r.errors}; timeouts ${r.timeouts}`,
      `emulator memory:  RSS after seed ${(idleRssKb / 1024).toFixed(1)} MiB, peak ${(Math.max(peakRssKb, hwm ?? 0) / 1024).toFixed(1)} MiB (VmHWM), ` +
        `heap used after run ${(health.heapUsedBytes / 1048576).toFixed(1)} MiB, journal capacity ${journal.capacity}`,
      `reseed:           ${SUBSCRIBERS} subscribers in ${Math.round(seedMs)} ms (POST /__emulator/seed)`,
      `target:           >= ${TARGET_RPS} req/s -> ${met ? 'MET' : 'MISSED'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!met && process.argv.includes('--strict')) {
      process.exitCode = 1;
    }
  } finally {
    emulator.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
