import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import request from 'supertest';

import { spawnTs } from '../utils/child-process';
import { makeTempDirectory } from '../utils/test-app';

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
