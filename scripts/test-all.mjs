#!/usr/bin/env node
// `npm test`: format, lint, typecheck, unit tier, the start tier (the README's commands on a fresh clone of HEAD),
// then the e2e tier and the fuzz tier on SQLite, and both again on PostgreSQL (every test app on its own fresh
// database of a throwaway cluster). Every step runs even when an earlier one fails, so one run shows everything
// that is wrong; the last line is "N passed, N failed" over all Jest tests. The fuzz tier prints its seed;
// FUZZ_SEED=<seed> npm test repeats it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const resultsDir = mkdtempSync(join(tmpdir(), 'tenantry-test-results-'));
const bin = (name) => join('node_modules', '.bin', name);

function run(label, command, args, env = process.env) {
  process.stdout.write(`\n=== ${label}: ${command} ${args.join(' ')}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  const ok = result.status === 0;
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(
    `=== ${label}: ${ok ? 'ok' : `FAILED (exit ${result.status ?? result.signal})`} in ${seconds} s\n`,
  );
  return ok;
}

function jestCounts(file) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests + report.numRuntimeErrorTestSuites,
    };
  } catch {
    return { passed: 0, failed: 1 };
  }
}

/** A TCP port nothing listens on now, so our cluster never collides with one a developer already runs. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The PostgreSQL server of the second e2e run: TEST_POSTGRES_URL when set, else a throwaway cluster from
 * scripts/pg-throwaway.sh (which installs Debian's postgresql when run as root). `{ unavailable }` says why not.
 */
async function providePostgres() {
  if (process.env.TEST_POSTGRES_URL) {
    return { url: process.env.TEST_POSTGRES_URL, stop: () => {} };
  }
  const env = { ...process.env, PG_THROWAWAY_PORT: String(await freePort()) };
  const script = join('scripts', 'pg-throwaway.sh');
  const started = spawnSync('bash', [script, 'start'], { env, encoding: 'utf8' });
  const url = started.stdout.trim().split('\n').pop() ?? '';
  if (started.status !== 0 || !url.startsWith('postgres://')) {
    spawnSync('bash', [script, 'stop'], { env, stdio: 'ignore' });
    const why = started.stderr.trim().split('\n').pop() || `pg-throwaway.sh exited ${started.status}`;
    return { unavailable: why };
  }
  return { url, stop: () => spawnSync('bash', [script, 'stop'], { env, stdio: 'inherit' }) };
}

const steps = [];
steps.push(['format', run('format', bin('prettier'), ['--check', '.', '--log-level', 'warn'])]);
steps.push(['lint', run('lint', bin('eslint'), ['.', '--max-warnings', '0'])]);
steps.push(['typecheck', run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])]);

const unitFile = join(resultsDir, 'unit.json');
steps.push([
  'unit',
  run('unit', bin('jest'), ['--config', 'jest.config.js', '--json', `--outputFile=${unitFile}`]),
]);
const tiers = [['unit', jestCounts(unitFile)]];

// Before the long e2e runs: `npm start` and the other README commands are the first thing a new user tries.
const startFile = join(resultsDir, 'start.json');
steps.push([
  'start (fresh clone)',
  run('start (fresh clone)', bin('jest'), [
    '--config',
    'test/jest-start.config.js',
    '--json',
    `--outputFile=${startFile}`,
  ]),
]);
tiers.push(['start (fresh clone)', jestCounts(startFile)]);

function e2e(name, env) {
  const file = join(resultsDir, `e2e-${name}.json`);
  const label = `e2e (${name === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`;
  const args = ['--config', 'test/jest-e2e.config.js', '--json', `--outputFile=${file}`];
  steps.push([label, run(label, bin('jest'), args, env)]);
  tiers.push([label, jestCounts(file)]);
}

/** The fuzz tier (test/fuzz): every operation of the OpenAPI document, generated requests, bounded in time. */
function fuzz(name, env) {
  const file = join(resultsDir, `fuzz-${name}.json`);
  const label = `fuzz (${name === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`;
  const args = ['--config', 'test/fuzz/jest-fuzz.config.js', '--json', `--outputFile=${file}`];
  steps.push([label, run(label, bin('jest'), args, env)]);
  tiers.push([label, jestCounts(file)]);
}

// The SQLite run leaves PostgreSQL alone: the PostgreSQL-only halves run once, in the PostgreSQL run.
const { TEST_POSTGRES_URL: _url, ...withoutPostgres } = process.env;
e2e('sqlite', { ...withoutPostgres, TEST_DATABASE: 'sqlite' });
fuzz('sqlite', { ...withoutPostgres, TEST_DATABASE: 'sqlite' });

const postgres = await providePostgres();
if (postgres.unavailable) {
  if (process.env.CI) {
    process.stdout.write(
      `\n=== e2e (PostgreSQL): FAILED — ${postgres.unavailable} (CI must run both databases)\n`,
    );
    steps.push(['e2e (PostgreSQL)', false]);
    tiers.push(['e2e (PostgreSQL)', { passed: 0, failed: 1 }]);
    tiers.push(['fuzz (PostgreSQL)', { passed: 0, failed: 1 }]);
  } else {
    process.stdout.write(
      `\n=== e2e (PostgreSQL): SKIPPED — ${postgres.unavailable}, install postgresql or set TEST_POSTGRES_URL\n`,
    );
  }
} else {
  try {
    const postgresEnv = { ...process.env, TEST_DATABASE: 'postgres', TEST_POSTGRES_URL: postgres.url };
    e2e('postgres', postgresEnv);
    fuzz('postgres', postgresEnv);
  } finally {
    postgres.stop();
  }
}
rmSync(resultsDir, { recursive: true, force: true });

const failedSteps = steps.filter(([, ok]) => !ok).map(([name]) => name);
process.stdout.write(
  `\n${tiers.map(([name, counts]) => `${name}: ${counts.passed} passed, ${counts.failed} failed`).join('; ')}\n`,
);
if (postgres.unavailable && !process.env.CI) {
  process.stdout.write(`e2e (PostgreSQL): SKIPPED — ${postgres.unavailable}\n`);
}
if (failedSteps.length > 0) {
  process.stdout.write(`failed steps: ${failedSteps.join(', ')}\n`);
}
const passed = tiers.reduce((sum, [, counts]) => sum + counts.passed, 0);
const failedTests = tiers.reduce((sum, [, counts]) => sum + counts.failed, 0);
const failed = failedTests + (failedSteps.length > 0 && failedTests === 0 ? 1 : 0);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failedSteps.length > 0 ? 1 : 0);
