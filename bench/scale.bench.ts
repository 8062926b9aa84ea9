/**
 * `npm run bench:scale`: the provisioning job of bench:provisioning (1,000 companies, six vendor calls each,
 * aggregate limit 200 req/s, emulator at 20 ms and 10 req/s per company) run by one instance on SQLite, one
 * instance on PostgreSQL and two instances sharing one PostgreSQL database. Prints the bound ratio of each:
 * the instances share one vendor budget, so two instances are not expected to be faster than one; the ratio
 * shows what coordinating costs. Target: ≤ 1.15 for each run.
 *
 * PostgreSQL: BENCH_POSTGRES_URL (a server URL; a fresh database is created on it), else a throwaway cluster
 * from scripts/pg-throwaway.sh on a free port (stopped at the end).
 */
import { providePostgresServer } from '../scripts/lib/postgres-server';
import { reportRun, type RunResult, runProvisioningJob } from './provisioning-run';

const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 1000);
const TARGET = 1.15;

async function main(): Promise<void> {
  const postgres = await providePostgresServer(process.env.BENCH_POSTGRES_URL);
  const results: RunResult[] = [];
  try {
    results.push(await runProvisioningJob({ label: 'SQLite, 1 instance', companies: COMPANIES }));
    results.push(
      await runProvisioningJob({
        label: 'PostgreSQL, 1 instance',
        companies: COMPANIES,
        postgresServerUrl: postgres.url,
      }),
    );
    results.push(
      await runProvisioningJob({
        label: 'PostgreSQL, 2 instances',
        companies: COMPANIES,
        instances: 2,
        postgresServerUrl: postgres.url,
      }),
    );
  } finally {
    postgres.stop();
  }
  const passed = results.map((result) => reportRun(result, TARGET));
  process.stdout.write(
    `bound ratios: ${results.map((result) => `${result.label} ${result.ratio.toFixed(3)}`).join('; ')}\n`,
  );
  process.exitCode = passed.every(Boolean) ? 0 : 1;
}

void main();
