import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describeVariables } from './environment.metadata';
import { EnvironmentVariables } from './environment.schema';
import { ConfigValidationError, loadConfig } from './load-config';

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
      'METRICS_TOKEN: looks like a placeholder; set a real secret in production',
    ]);
    expect(loadConfig({ NODE_ENV: 'development', METRICS_TOKEN: 'changeme-changeme' }).metricsToken).toBe(
      'changeme-changeme',
    );
    const realKeys = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
    expect(
      loadConfig({ NODE_ENV: 'production', VAULT_KEYS: realKeys, METRICS_TOKEN: 'q8Zr2vLk9TfW3nXc' })
        .metricsToken,
    ).toBe('q8Zr2vLk9TfW3nXc');
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
