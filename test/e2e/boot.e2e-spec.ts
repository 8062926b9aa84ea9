import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import request from 'supertest';

import { MIGRATIONS, MIGRATIONS_LIST_PATH } from '../../src/database/migrations';
import { spawnTs } from '../utils/child-process';
import { makeTempDirectory } from '../utils/test-app';
import { freshTestDatabase } from '../utils/test-database';

describe('booting the service as `npm start` does', () => {
  it('starts with no .env on the embedded SQLite default, serves the service routes, and stops on SIGTERM', async () => {
    const cwd = makeTempDirectory('tenantry-boot-');
    const running = spawnTs('src/main.ts', { cwd, env: { PORT: '0', HOST: '127.0.0.1' } });
    try {
      const [, port] = await running.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const base = `http://127.0.0.1:${port}`;
      await request(base).get('/healthz').expect(200);
      await request(base).get('/readyz').expect(200);
      await request(base).get('/metrics').expect(200);
      await request(base).get('/docs').expect(200);
      expect(existsSync(join(cwd, 'data', 'tenantry.sqlite'))).toBe(true);

      running.child.kill('SIGTERM');
      const exit = await running.exited;
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    } finally {
      running.child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('exits non-zero before listening when the configuration is invalid, naming every bad variable', async () => {
    const cwd = makeTempDirectory('tenantry-boot-');
    const running = spawnTs('src/main.ts', {
      cwd,
      env: { PORT: 'abc', DATABASE_URL: 'mysql://root:hunter2@db/x', LOG_LEVEL: 'chatty' },
    });
    const exit = await running.exited;
    expect(exit.code).toBe(1);
    expect(running.stderr()).toContain('PORT');
    expect(running.stderr()).toContain('DATABASE_URL');
    expect(running.stderr()).toContain('LOG_LEVEL');
    expect(running.stderr()).not.toContain('hunter2');
    expect(running.stdout()).not.toMatch(/listening/);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('exits non-zero before listening when the schema is missing, naming the migrations and what to do', async () => {
    // DB_MIGRATIONS_RUN=false on an empty database: the state `nest start` left when its migrations glob found
    // nothing, and a real one when an operator forgets `npm run migration:run` before the fleet starts.
    const cwd = makeTempDirectory('tenantry-boot-');
    const database = await freshTestDatabase(cwd);
    try {
      const running = spawnTs('src/main.ts', {
        cwd,
        env: { PORT: '0', HOST: '127.0.0.1', DATABASE_URL: database.url, DB_MIGRATIONS_RUN: 'false' },
      });
      const exit = await running.exited;
      expect(exit.code).toBe(1);
      const stderr = running.stderr();
      expect(stderr).toContain('Tenantry failed to start: the database schema is not up to date');
      expect(stderr).toContain(
        `${MIGRATIONS.length} of ${MIGRATIONS.length} migrations (${MIGRATIONS_LIST_PATH})`,
      );
      expect(stderr).toContain('DB_MIGRATIONS_RUN=false');
      expect(stderr).toContain('npm run migration:run');
      // Neither a missing table nor @nestjs/typeorm's "Unable to connect … Retrying" instead of the reason.
      expect(`${running.stdout()}${stderr}`).not.toMatch(/no such table|does not exist|Retrying/);
      expect(running.stdout()).not.toMatch(/listening/);
    } finally {
      await database.drop();
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('refuses placeholder secrets in production', async () => {
    const cwd = makeTempDirectory('tenantry-boot-');
    const running = spawnTs('src/main.ts', {
      cwd,
      env: { NODE_ENV: 'production', METRICS_TOKEN: 'change-me-change-me' },
    });
    const exit = await running.exited;
    expect(exit.code).toBe(1);
    expect(running.stderr()).toMatch(/METRICS_TOKEN: looks like a placeholder/);
    rmSync(cwd, { recursive: true, force: true });
  });
});
