import { existsSync } from 'node:fs';

import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

import { AppConfig } from './app-config';
import { describeVariables } from './environment.metadata';
import { EnvironmentVariables } from './environment.schema';

export type RawEnvironment = Record<string, string | undefined>;

/** Raised when the environment is invalid; the message lists every problem, one per line. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

// Values that show a secret was never set for real. Checked in production only.
const PLACEHOLDER_PATTERN = /change[-_ ]?me|placeholder|example|dummy|secret|password|todo|xxx|^(.)\1+$/i;

function flattenErrors(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => {
    const messages = Object.values(error.constraints ?? {});
    // Never echo the rejected value: it may be a secret.
    return messages.map((message) => `${error.property}: ${message}`);
  });
}

/**
 * Builds the typed configuration from an environment map. Blank values count as unset, so a `.env` copied
 * from `.env.example` behaves like no `.env` at all.
 */
export function loadConfig(raw: RawEnvironment): AppConfig {
  const variables = describeVariables(new EnvironmentVariables());
  const input: Record<string, string> = {};
  for (const { name } of variables) {
    const value = raw[name];
    if (value !== undefined && value.trim() !== '') {
      input[name] = value;
    }
  }

  const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
  const problems = flattenErrors(validateSync(env, { stopAtFirstError: true }));

  // The first admin needs both; one alone is a typo that would silently leave the instance without an admin.
  if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL, ADMIN_PASSWORD: set both or neither');
  }
  // A provisioning write is sent only while more than one vendor timeout of its item's lease is left (see
  // src/provisioning/ledger/item-lease.ts): a lease no longer than the timeout could never send one.
  if (env.PROVISIONING_LEASE_MS <= env.IPAAS_TIMEOUT_MS) {
    problems.push(
      `PROVISIONING_LEASE_MS: must exceed IPAAS_TIMEOUT_MS (${env.IPAAS_TIMEOUT_MS}); twice that or more is advised`,
    );
  }
  if (env.LOGIN_ACCOUNT_FAILURE_CEILING < env.LOGIN_MAX_FAILURES_PER_ACCOUNT) {
    problems.push(
      'LOGIN_ACCOUNT_FAILURE_CEILING: must be at least LOGIN_MAX_FAILURES_PER_ACCOUNT (it counts all addresses)',
    );
  }
  if (env.NODE_ENV === 'production') {
    if (env.VAULT_KEYS === undefined) {
      problems.push('VAULT_KEYS: required in production (kid:base64-of-32-bytes)');
    }
    // Its length (32+) is checked by the schema in every mode; production also needs it set.
    if (env.JWT_SECRET === undefined) {
      problems.push('JWT_SECRET: required in production (32 bytes or more)');
    }
    // /metrics tells anyone who can reach it the fleet's size, error rates and vendor traffic.
    if (env.METRICS_TOKEN === undefined) {
      problems.push(
        'METRICS_TOKEN: required in production (16+ characters; scrapers send it as a Bearer token)',
      );
    }
    for (const { name, sensitive } of variables) {
      const value: unknown = env[name as keyof EnvironmentVariables];
      if (sensitive && typeof value === 'string' && PLACEHOLDER_PATTERN.test(value)) {
        problems.push(`${name}: looks like a placeholder; set a real secret in production`);
      }
    }
  }

  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }
  return new AppConfig(env);
}

/**
 * The one place that reads `process.env`. A `.env` file in the working directory is read when present;
 * variables already set in the environment win over it.
 */
export function loadConfigFromProcess(envFile = '.env'): AppConfig {
  if (existsSync(envFile)) {
    process.loadEnvFile(envFile);
  }
  return loadConfig(process.env);
}
