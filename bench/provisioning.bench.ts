/**
 * `npm run bench:provisioning`: one bulk job onboarding 1,000 companies with a template of six vendor calls
 * per company (ensure a role, a user holding it, and a customer: a read and a create each), against the
 * emulator in its own process with 20 ms latency and a limit of 10 req/s per company, Tenantry in its own
 * process (SQLite) with an aggregate limit of 200 req/s. See bench/provisioning-run.ts for what is measured.
 *
 * Targets: ratio ≤ 1.15 clean, ≤ 1.30 with 5% injected faults (503s), Tenantry's peak RSS under 300 MB,
 * 0 duplicate creates.
 */
import { reportRun, runProvisioningJob } from './provisioning-run';

const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 1000);
const FAULT_PROBABILITY = 0.05;

async function main(): Promise<void> {
  const clean = reportRun(await runProvisioningJob({ label: 'clean', companies: COMPANIES }), 1.15);
  const faulty = reportRun(
    await runProvisioningJob({
      label: `with ${FAULT_PROBABILITY * 100}% injected 503s`,
      companies: COMPANIES,
      faultProbability: FAULT_PROBABILITY,
    }),
    1.3,
  );
  process.exitCode = clean && faulty ? 0 : 1;
}

void main();
