import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import request from 'supertest';
import { DataSource } from 'typeorm';

import { spawnTs } from '../../utils/child-process';
import { SandboxCompanies } from '../../utils/sandbox-companies';
import { makeTempDirectory, startTestApp, type TestApp } from '../../utils/test-app';
import { databaseUrlOf, dropDirectoryDatabases, makeDatabaseDirectory } from '../../utils/test-database';

type Json = Record<string, unknown>;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const DISPLAY_NAME_PROBLEM = /must not contain control characters, line separators or bidirectional/;

/** Issue 15 item 9: hardening of metrics, names, CSV exports, the sandbox banner, the dev key file, payloads. */
describe('hardening (issue 15 item 9)', () => {
  let t: TestApp;
  let sandbox: SandboxCompanies;

  beforeAll(async () => {
    t = await startTestApp();
    sandbox = await SandboxCompanies.of(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('labels metrics with bounded values only: no subscriber, source, key or job ids', async () => {
    const subscriber = (
      await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: sandbox.next(), name: 'Metrics Co' })
        .expect(201)
    ).body as { id: string };
    await t.http.get(`/v1/subscribers/${subscriber.id}`).expect(200);
    const source = (
      await t.http
        .post('/v1/webhook-sources')
        .send({
          name: 'Metrics billing',
          rules: [
            {
              eventType: 'customer.cancelled',
              action: 'offboard',
              subscriber: { ipaasCompanyId: 'data.id' },
            },
          ],
        })
        .expect(201)
    ).body as { id: string };
    // An unsigned delivery to a real source, and one to an id nobody created (a scanner).
    await request(t.server).post(`/v1/webhooks/${source.id}`).send({ type: 'x' }).expect(401);
    await request(t.server)
      .post(`/v1/webhooks/${randomBytes(16).toString('hex')}`)
      .send({})
      .expect(404);

    const metrics = (await request(t.server).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^tenantry_webhook_deliveries_total\{outcome="unauthorized"\} 1$/m);
    expect(metrics).toContain('route="/v1/subscribers/:id"');
    const labelled = metrics.split('\n').filter((line) => line.includes('{') && !line.startsWith('#'));
    expect(labelled.filter((line) => UUID.test(line) || /[0-9a-f]{32}/.test(line))).toEqual([]);
  });

  it('refuses control, line-separator and bidi characters in every display name with 400', async () => {
    const staff = (
      await t.http
        .post('/v1/staff')
        .send({
          email: 'zoe@misp.example',
          name: 'Zoë 株式会社',
          role: 'viewer',
          password: 'zoe-password-12',
        })
        .expect(201)
    ).body as { id: string };
    const subscriber = (
      await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: sandbox.next(), name: 'شركة الاختبار' })
        .expect(201)
    ).body as { id: string };
    const bad = ['Acme\nINFO forged', 'invoice\u202Efdp.exe', '\u001b[31mred', 'a\u0085b', 'a\u2028b'];
    const calls: [string, (name: string) => request.Test, string][] = [
      [
        'POST /v1/staff',
        (name) =>
          t.http
            .post('/v1/staff')
            .send({ email: 'x@misp.example', name, role: 'viewer', password: 'x'.repeat(12) }),
        'name',
      ],
      ['PATCH /v1/staff/:id', (name) => t.http.patch(`/v1/staff/${staff.id}`).send({ name }), 'name'],
      ['POST /v1/api-keys', (name) => t.http.post('/v1/api-keys').send({ name, role: 'viewer' }), 'name'],
      [
        'POST /v1/subscribers',
        (name) => t.http.post('/v1/subscribers').send({ ipaasCompanyId: 'names-bad', name }),
        'name',
      ],
      [
        'PATCH /v1/subscribers/:id',
        (name) => t.http.patch(`/v1/subscribers/${subscriber.id}`).send({ name }),
        'name',
      ],
      [
        'POST /v1/provisioning/jobs',
        (name) =>
          t.http.post('/v1/provisioning/jobs').send({
            templateId: '00000000-0000-4000-8000-000000000000',
            mode: 'apply',
            subscribers: [{ ipaasCompanyId: 'names-new', name }],
          }),
        'subscribers.0.name',
      ],
      [
        'POST /v1/provisioning/templates',
        (name) =>
          t.http
            .post('/v1/provisioning/templates')
            .send({ name: 'names-template', spec: { roles: [{ name, permissions: ['Read'] }] } }),
        'spec.roles.0.name',
      ],
      [
        'POST /v1/webhook-sources',
        (name) =>
          t.http.post('/v1/webhook-sources').send({
            name,
            rules: [
              {
                eventType: 'customer.cancelled',
                action: 'offboard',
                subscriber: { ipaasCompanyId: 'data.id' },
              },
            ],
          }),
        'name',
      ],
      [
        'POST /v1/alert-destinations',
        (name) =>
          t.http.post('/v1/alert-destinations').send({ name, url: 'https://hooks.example.com/tenantry' }),
        'name',
      ],
    ];
    const wrong: string[] = [];
    for (const [route, call, field] of calls) {
      for (const name of bad) {
        const response = await call(name);
        const problem = (response.body as { errors?: { field: string; message: string }[] }).errors?.find(
          (error) => error.field === field && DISPLAY_NAME_PROBLEM.test(error.message),
        );
        if (response.status !== 400 || response.body.code !== 'VALIDATION_FAILED' || problem === undefined) {
          wrong.push(
            `${route} ${JSON.stringify(name)} → ${response.status} ${JSON.stringify(response.body)}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('prefixes full-width and whitespace-led formulas in the audit CSV export', async () => {
    const names = ['＝HYPERLINK("http://evil.example","x")', ' =1+1', '＠SUM(A1)', '\u3000－2'];
    for (const name of names) {
      const secret = (await t.http.post('/v1/api-keys').send({ name, role: 'viewer' }).expect(201)).body
        .secret as string;
      // Any mutating request is audited under the caller's label: the key's name.
      await request(t.server).post('/v1/auth/logout').set('X-API-Key', secret).expect(204);
    }
    const csv = (await t.http.get('/v1/audit/export?action=auth.logout').expect(200)).text;
    const labels = csv
      .split('\r\n')
      .slice(1)
      .filter((line) => line.length > 0)
      .map((line) => line.match(/^\d+,[^,]+,[^,]+,api_key,[^,]+,("(?:[^"]|"")*"|[^,]*),/)?.[1] ?? line);
    for (const name of names) {
      const cell = name.includes('"') || name.includes(',') ? `"'${name.replace(/"/g, '""')}"` : `'${name}`;
      expect(labels).toContain(cell);
    }
    expect(labels.filter((label) => /^"?[\s]*[=+\-@＝＋－＠]/u.test(label))).toEqual([]);
  });

  it('shows a webhook event’s payload (billing personal data) to operators, not to viewers', async () => {
    const source = (
      await t.http
        .post('/v1/webhook-sources')
        .send({
          name: 'Payload billing',
          rules: [
            {
              eventType: 'customer.cancelled',
              action: 'offboard',
              subscriber: { ipaasCompanyId: 'data.id' },
            },
          ],
        })
        .expect(201)
    ).body as { id: string };
    const eventId = '5b0c6a4e-1f2d-4c3b-9a8e-7d6c5b4a3f21';
    const payload = JSON.stringify({
      type: 'customer.cancelled',
      data: { id: 'x', email: 'jane@customer.example' },
    });
    await t.app.get(DataSource).query(
      `INSERT INTO webhook_events (id, source_id, webhook_id, event_type, action, status, payload, received_at, replays)
         VALUES ($1, $2, 'evt_pii', 'customer.cancelled', 'offboard', 'failed', $3, $4, 0)`,
      [eventId, source.id, payload, Date.now()],
    );
    const viewer = await t.as('viewer');
    const operator = await t.as('operator');
    const seen = (await viewer.get(`/v1/webhooks/events/${eventId}`).expect(200)).body as Json;
    expect(seen).toMatchObject({ id: eventId, eventType: 'customer.cancelled', payload: null });
    expect(JSON.stringify(seen)).not.toContain('jane@customer.example');
    expect((await operator.get(`/v1/webhooks/events/${eventId}`).expect(200)).body).toMatchObject({
      payload,
    });
  });
});

describe('boot-time hardening (issue 15 item 9)', () => {
  const directories: string[] = [];

  afterAll(async () => {
    await dropDirectoryDatabases();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses to start in production without METRICS_TOKEN', async () => {
    const cwd = makeTempDirectory('tenantry-metrics-');
    directories.push(cwd);
    const running = spawnTs('src/main.ts', {
      cwd,
      env: {
        NODE_ENV: 'production',
        VAULT_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        JWT_SECRET: randomBytes(32).toString('base64url'),
      },
    });
    expect((await running.exited).code).toBe(1);
    expect(running.stderr()).toContain('METRICS_TOKEN: required in production');
    expect(running.stdout()).not.toMatch(/listening/);
  });

  /** Boots `npm start` in `cwd` on the folder's database until it listens, then stops it; returns its output. */
  async function bootOnce(cwd: string, env: Record<string, string> = {}): Promise<string> {
    const running = spawnTs('src/main.ts', {
      cwd,
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        IPAAS_BASE_URL: 'http://127.0.0.1:9',
        DATABASE_URL: databaseUrlOf(cwd),
        ...env,
      },
    });
    try {
      await running.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    return running.stdout() + running.stderr();
  }

  it('keeps the development vault key file out of the data folder, moving one left there by an older version', async () => {
    const cwd = await makeDatabaseDirectory('tenantry-keyfile-');
    directories.push(cwd);
    // The old layout: the key ring generated into ./data beside the database (the previous default path).
    const before = await bootOnce(cwd, { VAULT_KEY_FILE: './data/vault-keys.dev' });
    const legacy = join(cwd, 'data', 'vault-keys.dev');
    const ring = readFileSync(legacy, 'utf8');
    expect(before).toContain('generated a DEVELOPMENT vault key');

    // Upgraded, with the default VAULT_KEY_FILE: the same ring, moved out; the vault boot check (which refuses a
    // different key behind a known key id) passes, so stored secrets still open.
    const after = await bootOnce(cwd);
    const moved = join(cwd, 'keys', 'vault-keys.dev');
    expect(readFileSync(moved, 'utf8')).toBe(ring);
    expect(existsSync(legacy)).toBe(false);
    expect(after).toContain('Moved the development vault key file out of the data folder');
    expect(after).not.toContain('generated a DEVELOPMENT vault key');
  });

  it('warns when VAULT_KEY_FILE is configured inside the SQLite database folder', async () => {
    const cwd = makeTempDirectory('tenantry-keyfile-');
    directories.push(cwd);
    mkdirSync(join(cwd, 'data'));
    const running = spawnTs('src/main.ts', {
      cwd,
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        IPAAS_BASE_URL: 'http://127.0.0.1:9',
        DATABASE_URL: 'sqlite:./data/tenantry.sqlite',
        VAULT_KEY_FILE: './data/secrets/vault-keys.dev',
      },
    });
    try {
      await running.waitFor(/listening on/, 60_000);
      expect(running.stdout()).toContain('VAULT_KEY_FILE is inside the database folder');
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  });
});
