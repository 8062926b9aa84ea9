import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describeVariables } from './environment.metadata';
import { EnvironmentVariables } from './environment.schema';
import { ConfigValidationError, loadConfig } from './load-config';

const REAL_JWT_SECRET = 'Zq3vR8mT1xL5wN9bK2cH7fJ4gD6sA0pY'; // 32 bytes

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('should give working defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({ port: 3000, host: '0.0.0.0', bodyLimit: '1mb', corsOrigins: [] });
    expect(config.database).toEqual({
      kind: 'sqlite',
      path: resolve('data/tenantry.sqlite'),
      migrationsRun: true,
      logging: false,
    });
    expect(config.logLevel).toBe('info');
    expect(config.metricsToken).toBeUndefined();
  });

  it('should treat blank values as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '  ' }).http.port).toBe(3000);
  });

  it('should type and parse values', () => {
    const config = loadConfig({
      PORT: '8080',
      DB_MIGRATIONS_RUN: 'false',
      CORS_ORIGINS: 'https://a.test, https://b.test',
      DATABASE_URL: 'postgres://u:p@localhost:5432/tenantry',
    });
    expect(config.http.port).toBe(8080);
    expect(config.http.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    expect(config.database).toMatchObject({ kind: 'postgres', migrationsRun: false });
  });

  it('should list every problem at once, one per variable, without echoing values', () => {
    const problems = problemsOf({
      PORT: 'abc',
      DATABASE_URL: 'mysql://root:hunter2@x/db',
      DB_LOGGING: 'maybe',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'DB_LOGGING',
      'PORT',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('should refuse placeholder secrets and a missing vault key ring in production only', () => {
    expect(problemsOf({ NODE_ENV: 'production', METRICS_TOKEN: 'changeme-changeme' })).toEqual([
      'VAULT_KEYS: required in production (kid:base64-of-32-bytes)',
      'JWT_SECRET: required in production (32 bytes or more)',
      'METRICS_TOKEN: looks like a placeholder; set a real secret in production',
    ]);
    expect(loadConfig({ NODE_ENV: 'development', METRICS_TOKEN: 'changeme-changeme' }).metricsToken).toBe(
      'changeme-changeme',
    );
    const realKeys = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
    expect(
      loadConfig({
        NODE_ENV: 'production',
        VAULT_KEYS: realKeys,
        JWT_SECRET: REAL_JWT_SECRET,
        METRICS_TOKEN: 'q8Zr2vLk9TfW3nXc',
      }).metricsToken,
    ).toBe('q8Zr2vLk9TfW3nXc');
  });

  it('should require a JWT_SECRET of 32+ bytes in production, and refuse a short or placeholder one', () => {
    const realKeys = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
    const production = { NODE_ENV: 'production', VAULT_KEYS: realKeys, METRICS_TOKEN: 'q8Zr2vLk9TfW3nXc' };
    expect(problemsOf(production)).toEqual(['JWT_SECRET: required in production (32 bytes or more)']);
    expect(problemsOf({ ...production, JWT_SECRET: REAL_JWT_SECRET.slice(1) })).toEqual([
      'JWT_SECRET: JWT_SECRET must be longer than or equal to 32 characters',
    ]);
    expect(problemsOf({ ...production, JWT_SECRET: `change-me-${'x'.repeat(30)}` })).toEqual([
      'JWT_SECRET: looks like a placeholder; set a real secret in production',
    ]);
    expect(loadConfig({ ...production, JWT_SECRET: REAL_JWT_SECRET }).auth.jwtSecret).toBe(REAL_JWT_SECRET);
    // Outside production it may stay unset: the app then signs with a random per-process key.
    expect(loadConfig({}).auth.jwtSecret).toBeUndefined();
  });

  it('should refuse ADMIN_EMAIL without ADMIN_PASSWORD and the reverse, and a short admin password', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'admin@misp.example' })).toEqual([
      'ADMIN_EMAIL, ADMIN_PASSWORD: set both or neither',
    ]);
    expect(problemsOf({ ADMIN_PASSWORD: 'long-enough-password' })).toEqual([
      'ADMIN_EMAIL, ADMIN_PASSWORD: set both or neither',
    ]);
    expect(problemsOf({ ADMIN_EMAIL: 'admin@misp.example', ADMIN_PASSWORD: 'short' })).toEqual([
      'ADMIN_PASSWORD: ADMIN_PASSWORD must be longer than or equal to 12 characters',
    ]);
    expect(
      loadConfig({ ADMIN_EMAIL: 'admin@misp.example', ADMIN_PASSWORD: 'long-enough-password' }).auth
        .firstAdmin,
    ).toEqual({ email: 'admin@misp.example', password: 'long-enough-password' });
    expect(loadConfig({}).auth).toMatchObject({
      firstAdmin: null,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlMs: 14 * 24 * 3600 * 1000,
      loginThrottle: {
        maxFailuresPerAccount: 5,
        accountFailureCeiling: 100,
        maxFailuresPerIp: 50,
        windowMs: 900_000,
        lockoutMs: 900_000,
      },
    });
  });

  it('should require METRICS_TOKEN in production only', () => {
    const production = {
      NODE_ENV: 'production',
      VAULT_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      JWT_SECRET: REAL_JWT_SECRET,
    };
    expect(problemsOf(production)).toEqual([
      'METRICS_TOKEN: required in production (16+ characters; scrapers send it as a Bearer token)',
    ]);
    expect(loadConfig({ ...production, NODE_ENV: 'development' }).metricsToken).toBeUndefined();
  });

  it('should refuse an account-wide sign-in ceiling below the per-address account limit', () => {
    expect(problemsOf({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '10', LOGIN_ACCOUNT_FAILURE_CEILING: '5' })).toEqual([
      'LOGIN_ACCOUNT_FAILURE_CEILING: must be at least LOGIN_MAX_FAILURES_PER_ACCOUNT (it counts all addresses)',
    ]);
  });

  it('should be documented variable by variable in .env.example', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const listed = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]);
    const known = describeVariables(new EnvironmentVariables()).map((variable) => variable.name);
    expect(listed.filter((name) => name !== undefined && !name.startsWith('EMULATOR_')).sort()).toEqual(
      [...known].sort(),
    );
  });
});
