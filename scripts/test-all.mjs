#!/usr/bin/env node
// `npm test`: format, lint, typecheck, unit tier, e2e tier. Every step runs even when an earlier one fails,
// so one run shows everything that is wrong; the last line is "N passed, N failed" over all Jest tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const resultsDir = mkdtempSync(join(tmpdir(), 'tenantry-test-results-'));
const bin = (name) => join('node_modules', '.bin', name);

function run(label, command, args) {
  process.stdout.write(`\n=== ${label}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  const ok = result.status === 0;
  process.stdout.write(`=== ${label}: ${ok ? 'ok' : `FAILED (exit ${result.status ?? result.signal})`}\n`);
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

const steps = [];
steps.push(['format', run('format', bin('prettier'), ['--check', '.', '--log-level', 'warn'])]);
steps.push(['lint', run('lint', bin('eslint'), ['.', '--max-warnings', '0'])]);
steps.push(['typecheck', run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])]);

const unitFile = join(resultsDir, 'unit.json');
const e2eFile = join(resultsDir, 'e2e.json');
steps.push([
  'unit',
  run('unit', bin('jest'), ['--config', 'jest.config.js', '--json', `--outputFile=${unitFile}`]),
]);
steps.push([
  'e2e',
  run('e2e', bin('jest'), ['--config', 'test/jest-e2e.config.js', '--json', `--outputFile=${e2eFile}`]),
]);

const unit = jestCounts(unitFile);
const e2e = jestCounts(e2eFile);
rmSync(resultsDir, { recursive: true, force: true });

const failedSteps = steps.filter(([, ok]) => !ok).map(([name]) => name);
process.stdout.write(
  `\nunit: ${unit.passed} passed, ${unit.failed} failed; e2e: ${e2e.passed} passed, ${e2e.failed} failed\n`,
);
if (failedSteps.length > 0) {
  process.stdout.write(`failed steps: ${failedSteps.join(', ')}\n`);
}
const failed = unit.failed + e2e.failed + (failedSteps.length > 0 && unit.failed + e2e.failed === 0 ? 1 : 0);
process.stdout.write(`${unit.passed + e2e.passed} passed, ${failed} failed\n`);
process.exit(failedSteps.length > 0 ? 1 : 0);
