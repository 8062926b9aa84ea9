import { rmSync } from 'node:fs';

import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';

import { StaffService } from '../../../src/auth/staff.service';
import { loadConfig } from '../../../src/config/load-config';
import { buildTypeOrmOptions } from '../../../src/database/typeorm-options';
import { makeTempDirectory, startTestApp, type StaffRole, type TestApp } from '../../utils/test-app';
import { freshTestDatabase } from '../../utils/test-database';

type Json = Record<string, unknown>;

interface Staff {
  id: string;
  email: string;
  password: string;
}

interface KeyRow {
  id: string;
  role: StaffRole;
  effectiveRole: StaffRole | null;
  status: string;
  ownerId: string | null;
  owner: { id: string; role: StaffRole; disabled: boolean } | null;
  revokedAt: string | null;
}

/**
 * Issue 15 item 1: an API key belongs to a staff user and dies, pauses or shrinks with them. Before the fix,
 * an admin's key kept working after that admin was disabled, demoted and deleted, and then created an admin.
 */
describe('API keys follow their owner', () => {
  let t: TestApp;
  let serial = 0;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  async function createStaff(role: StaffRole): Promise<Staff> {
    serial += 1;
    const user = { email: `owner-${serial}@misp.example`, password: `password-of-owner-${serial}` };
    const created = await t.http
      .post('/v1/staff')
      .send({ ...user, name: `Owner ${serial}`, role })
      .expect(201);
    return { id: (created.body as { id: string }).id, ...user };
  }

  /** Signs in as `user` and creates a key with `role` through that session; returns an agent using it. */
  async function keyOf(user: Staff, role: StaffRole): Promise<{ id: string; agent: TestAgent }> {
    const login = await request(t.server)
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    const created = await request(t.server)
      .post('/v1/api-keys')
      .set('Authorization', `Bearer ${(login.body as { access_token: string }).access_token}`)
      .send({ name: `key of ${user.email}`, role })
      .expect(201);
    const { id, secret } = created.body as { id: string; secret: string };
    return { id, agent: request.agent(t.server).set('X-API-Key', secret) };
  }

  async function keyRow(id: string): Promise<KeyRow> {
    const listed = await t.http.get('/v1/api-keys?pageSize=500').expect(200);
    const row = (listed.body as KeyRow[]).find((key) => key.id === id);
    if (row === undefined) {
      throw new Error(`API key ${id} is not listed`);
    }
    return row;
  }

  async function auditRows(action: string): Promise<Json[]> {
    return (await t.http.get(`/v1/audit?action=${action}&pageSize=500`).expect(200)).body as Json[];
  }

  function newAdminBody(): Json {
    serial += 1;
    return {
      email: `escalated-${serial}@misp.example`,
      name: 'Escalated',
      role: 'admin',
      password: 'escalated-password-1',
    };
  }

  // First, while the harness's admin is the only admin.
  it('keeps the last-admin protection: the last admin is not deleted, and its keys stay', async () => {
    const me = (await t.http.get('/v1/auth/me').expect(200)).body as { staffId: string };
    const refused = await t.http.delete(`/v1/staff/${me.staffId}?keys=revoke`).expect(409);
    expect(refused.body).toMatchObject({
      code: 'CONFLICT',
      detail: expect.stringContaining('last enabled admin'),
    });
    await t.http.get('/v1/auth/me').expect(200);
  });
  it('stops a disabled owner’s key, caps it at a demoted owner’s role, and revokes it when the owner is deleted', async () => {
    const admin = await createStaff('admin');
    const key = await keyOf(admin, 'admin');
    await key.agent.get('/v1/staff').expect(200);

    // Disabled: refused at once, like the owner's own sessions; re-enabled: it works again.
    await t.http.patch(`/v1/staff/${admin.id}`).send({ disabled: true }).expect(200);
    await key.agent.get('/v1/subscribers').expect(401);
    expect(await keyRow(key.id)).toMatchObject({ status: 'owner_disabled', effectiveRole: null });
    await t.http.patch(`/v1/staff/${admin.id}`).send({ disabled: false }).expect(200);
    await key.agent.get('/v1/staff').expect(200);
    const suspended = (await auditRows('api_key.suspended')).find((row) => row.target === `apiKey=${key.id}`);
    expect(suspended).toMatchObject({
      actorKind: 'system',
      outcome: 'success',
      details: { reason: 'owner_disabled', ownerId: admin.id },
    });
    expect((await auditRows('api_key.resumed')).some((row) => row.target === `apiKey=${key.id}`)).toBe(true);

    // Demoted to operator: the admin key is now an operator key, and stays one if its owner is promoted again.
    await t.http.patch(`/v1/staff/${admin.id}`).send({ role: 'operator' }).expect(200);
    await key.agent.post('/v1/staff').send(newAdminBody()).expect(403);
    await key.agent.get('/v1/subscribers').expect(200);
    expect((await key.agent.get('/v1/auth/me').expect(200)).body).toMatchObject({ role: 'operator' });
    expect(await keyRow(key.id)).toMatchObject({
      role: 'operator',
      effectiveRole: 'operator',
      status: 'active',
      owner: { id: admin.id, role: 'operator' },
    });
    const capped = (await auditRows('api_key.capped')).find((row) => row.target === `apiKey=${key.id}`);
    expect(capped).toMatchObject({
      actorKind: 'system',
      details: { reason: 'owner_demoted', ownerId: admin.id, fromRole: 'admin', toRole: 'operator' },
    });
    expect(typeof capped?.requestId).toBe('string');
    await t.http.patch(`/v1/staff/${admin.id}`).send({ role: 'admin' }).expect(200);
    await key.agent.post('/v1/staff').send(newAdminBody()).expect(403);

    // Deleted: refused while the user owns active keys, unless the admin says what becomes of them.
    const refused = await t.http.delete(`/v1/staff/${admin.id}`).expect(409);
    expect(refused.body).toMatchObject({
      code: 'STAFF_OWNS_API_KEYS',
      apiKeys: [{ id: key.id, role: 'operator' }],
    });
    await t.http.get(`/v1/staff/${admin.id}`).expect(200);
    await t.http.delete(`/v1/staff/${admin.id}?keys=everything`).expect(400);
    await t.http.delete(`/v1/staff/${admin.id}?keys=revoke`).expect(204);
    await key.agent.post('/v1/staff').send(newAdminBody()).expect(401);
    await key.agent.get('/v1/subscribers').expect(401);
    expect(await keyRow(key.id)).toMatchObject({ status: 'revoked', ownerId: null, owner: null });
    const revoked = (await auditRows('api_key.revoked')).find((row) => row.target === `apiKey=${key.id}`);
    // Chosen by the admin who deleted the user: recorded as that caller (the harness's admin key).
    expect(revoked).toMatchObject({
      actorKind: 'api_key',
      details: { reason: 'owner_deleted', ownerId: admin.id },
    });
  });

  it('hands a departing user’s keys to a successor, capped at the successor’s role', async () => {
    const leaving = await createStaff('admin');
    const successor = await createStaff('operator');
    const adminKey = await keyOf(leaving, 'admin');
    const viewerKey = await keyOf(leaving, 'viewer');

    for (const keys of [`transfer:${leaving.id}`, 'transfer:00000000-0000-4000-8000-000000000000']) {
      const bad = await t.http.delete(`/v1/staff/${leaving.id}?keys=${keys}`).expect(400);
      expect(bad.body.errors).toEqual([{ field: 'keys', message: expect.stringContaining('enabled staff') }]);
    }
    await t.http.get(`/v1/staff/${leaving.id}`).expect(200);

    await t.http.delete(`/v1/staff/${leaving.id}?keys=transfer:${successor.id.toUpperCase()}`).expect(204);
    for (const [key, role] of [
      [adminKey, 'operator'],
      [viewerKey, 'viewer'],
    ] as const) {
      await key.agent.get('/v1/subscribers').expect(200);
      await key.agent.get('/v1/staff').expect(403);
      expect(await keyRow(key.id)).toMatchObject({
        role,
        effectiveRole: role,
        status: 'active',
        ownerId: successor.id,
        owner: { id: successor.id },
      });
      expect((await key.agent.get('/v1/auth/me').expect(200)).body).toMatchObject({
        staffId: successor.id,
        role,
      });
    }
    const transferred = (await auditRows('api_key.transferred')).find(
      (row) => row.target === `apiKey=${adminKey.id}`,
    );
    expect(transferred).toMatchObject({
      actorKind: 'api_key',
      details: {
        reason: 'owner_deleted',
        fromOwnerId: leaving.id,
        toOwnerId: successor.id,
        fromRole: 'admin',
        toRole: 'operator',
      },
    });
  });

  it('transfers one key on request, and refuses revoked keys, unknown keys and disabled new owners', async () => {
    const first = await createStaff('admin');
    const second = await createStaff('operator');
    const key = await keyOf(first, 'admin');

    const moved = await t.http
      .post(`/v1/api-keys/${key.id}/transfer`)
      .send({ ownerId: second.id })
      .expect(200);
    expect(moved.body).toMatchObject({ id: key.id, ownerId: second.id, role: 'operator', status: 'active' });
    expect((await key.agent.get('/v1/auth/me').expect(200)).body).toMatchObject({
      staffId: second.id,
      role: 'operator',
    });
    expect(
      (await auditRows('api_key.transferred')).find((row) => row.target === `apiKey=${key.id}`),
    ).toMatchObject({ details: { reason: 'transferred', fromOwnerId: first.id, toOwnerId: second.id } });

    await t.http.patch(`/v1/staff/${first.id}`).send({ disabled: true }).expect(200);
    const toDisabled = await t.http.post(`/v1/api-keys/${key.id}/transfer`).send({ ownerId: first.id });
    expect(toDisabled.status).toBe(400);
    await t.http
      .post('/v1/api-keys/00000000-0000-4000-8000-000000000000/transfer')
      .send({ ownerId: second.id })
      .expect(404);
    await t.http.post(`/v1/api-keys/${key.id}/transfer`).send({ ownerId: 'nobody' }).expect(400);
    await t.http.delete(`/v1/api-keys/${key.id}`).expect(204);
    const revoked = await t.http.post(`/v1/api-keys/${key.id}/transfer`).send({ ownerId: second.id });
    expect(revoked.status).toBe(409);
    await key.agent.get('/v1/auth/me').expect(401);
  });

  it('refuses a key whose owner was deleted by any other path (the database orphans it), until an admin adopts it', async () => {
    const owner = await createStaff('admin');
    const key = await keyOf(owner, 'admin');
    // StaffService.delete is what the CLI and any future path would call: no key check of its own.
    await t.app.get(StaffService).delete(owner.id);
    await key.agent.get('/v1/subscribers').expect(401);
    expect(await keyRow(key.id)).toMatchObject({ status: 'ownerless', ownerId: null, effectiveRole: null });

    const adopter = await createStaff('operator');
    await t.http.post(`/v1/api-keys/${key.id}/transfer`).send({ ownerId: adopter.id }).expect(200);
    expect((await key.agent.get('/v1/auth/me').expect(200)).body).toMatchObject({ role: 'operator' });
  });
});

describe('the ApiKeyOwners migration', () => {
  it('gives existing keys their recorded creator as owner and leaves keys of deleted creators ownerless', async () => {
    const directory = makeTempDirectory();
    const database = await freshTestDatabase(directory);
    const dataSource = new DataSource(
      buildTypeOrmOptions(loadConfig({ DATABASE_URL: database.url, DB_MIGRATIONS_RUN: 'false' })),
    );
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
      const applied = async (): Promise<string[]> =>
        (await dataSource.query<{ name: string }[]>('SELECT name FROM migrations')).map((row) => row.name);
      while ((await applied()).includes('ApiKeyOwners1795901000000')) {
        await dataSource.undoLastMigration();
      }
      await dataSource.query(
        `INSERT INTO staff_users (id, email, name, role, password_hash, disabled, last_login_at, created_at, updated_at)
         VALUES ('11111111-1111-4111-8111-111111111111', 'old@misp.example', 'Old', 'admin', 'x', $1, NULL, 1, 1)`,
        [false],
      );
      for (const [id, createdBy] of [
        ['22222222-2222-4222-8222-222222222222', '11111111-1111-4111-8111-111111111111'],
        ['33333333-3333-4333-8333-333333333333', null],
      ]) {
        await dataSource.query(
          `INSERT INTO api_keys (id, name, role, created_by, secret_hash, expires_at, last_used_at, revoked_at, created_at)
           VALUES ($1, 'legacy', 'admin', $2, 'h', NULL, NULL, NULL, 1)`,
          [id, createdBy],
        );
      }
      await dataSource.runMigrations();
      const rows = await dataSource.query<Json[]>('SELECT id, owner_id FROM api_keys ORDER BY id');
      expect(rows).toEqual([
        { id: '22222222-2222-4222-8222-222222222222', owner_id: '11111111-1111-4111-8111-111111111111' },
        { id: '33333333-3333-4333-8333-333333333333', owner_id: null },
      ]);
    } finally {
      await dataSource.destroy();
      await database.drop();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
