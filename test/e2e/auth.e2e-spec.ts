import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import request from 'supertest';
import type { App } from 'supertest/types';
import { DataSource } from 'typeorm';

import { createApp } from '../../src/app.setup';
import { AccessTokenKey } from '../../src/auth/access-token-key';
import { OffsetClock } from '../../src/common/time/clock';
import { loadConfig, type RawEnvironment } from '../../src/config/load-config';
import { spawnTs } from '../utils/child-process';
import { startTestApp, TEST_ADMIN, type TestApp } from '../utils/test-app';
import { databaseUrlOf, dropDirectoryDatabases, makeDatabaseDirectory } from '../utils/test-database';

const PROBLEM_JSON = /^application\/problem\+json/;
const BAD_CREDENTIALS = 'The email or password is not correct';

interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT signed with HMAC by hand, to forge what the app must refuse. */
function signJwt(header: object, claims: object, key: string, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const unsigned = `${base64url(header)}.${base64url(claims)}`;
  return `${unsigned}.${createHmac(hash, key).update(unsigned).digest('base64url')}`;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

/** The invalid fields of a VALIDATION_FAILED problem, sorted, each once. */
function fieldsOf(body: { errors?: { field: string }[] }): string[] {
  return [...new Set((body.errors ?? []).map((error) => error.field))].sort();
}

function login(server: App, email: string, password: string): request.Test {
  return request(server).post('/v1/auth/login').send({ email, password });
}

async function signIn(server: App, email: string, password: string): Promise<TokenPair> {
  return (await login(server, email, password).expect(200)).body as TokenPair;
}

function me(server: App, accessToken: string): request.Test {
  return request(server).get('/v1/auth/me').set('Authorization', `Bearer ${accessToken}`);
}

function expectUnauthorized(response: request.Response): void {
  expect(response.status).toBe(401);
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  expect(response.body).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
}

describe('staff authentication', () => {
  const clock = new OffsetClock();
  let t: TestApp;
  /** Every secret the tests see; none may appear in any log line. */
  const secrets: string[] = [TEST_ADMIN.password];
  let staffSerial = 0;

  /** Creates a staff user through the admin API; returns its id and password. */
  async function createStaff(
    role: 'viewer' | 'operator' | 'admin',
    overrides: { email?: string; password?: string } = {},
  ): Promise<{ id: string; email: string; password: string }> {
    staffSerial += 1;
    const email = overrides.email ?? `staff-${staffSerial}@misp.example`;
    const password = overrides.password ?? `password-of-staff-${staffSerial}`;
    secrets.push(password);
    const created = await t.http
      .post('/v1/staff')
      .send({ email, name: `Staff ${staffSerial}`, role, password })
      .expect(201);
    return { id: (created.body as { id: string }).id, email: email.toLowerCase(), password };
  }

  async function signInAs(user: { email: string; password: string }): Promise<TokenPair> {
    const pair = await signIn(t.server, user.email, user.password);
    secrets.push(pair.access_token, pair.refresh_token);
    return pair;
  }

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
  });

  afterAll(async () => {
    await t.close();
  });

  describe('login', () => {
    it('answers a token pair that is not cached, and /me names the staff user', async () => {
      const response = await login(t.server, TEST_ADMIN.email.toUpperCase(), TEST_ADMIN.password).expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const pair = response.body as TokenPair;
      secrets.push(pair.access_token, pair.refresh_token);
      expect(pair).toEqual({
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        refresh_token: expect.stringMatching(/^[\w-]{43}$/),
        token_type: 'Bearer',
        expires_in: 900,
      });
      const header = JSON.parse(Buffer.from(pair.access_token.split('.')[0] ?? '', 'base64url').toString());
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      const claims = claimsOf(pair.access_token);
      expect(claims).toEqual({
        sub: expect.any(String),
        role: 'admin',
        sid: expect.any(String),
        iat: expect.any(Number),
        exp: (claims.iat as number) + 900,
      });

      const profile = await me(t.server, pair.access_token).expect(200);
      expect(profile.body).toEqual({
        kind: 'staff',
        id: claims.sub,
        staffId: claims.sub,
        label: TEST_ADMIN.email,
        role: 'admin',
        email: TEST_ADMIN.email,
        name: 'Administrator',
      });
      const users = await t.http.get(`/v1/staff/${String(claims.sub)}`).expect(200);
      expect(users.body.lastLoginAt).not.toBeNull();
    });

    it('answers a wrong password, an unknown email and a disabled user with the same 401', async () => {
      const user = await createStaff('viewer');
      const disabled = await createStaff('viewer');
      await t.http.patch(`/v1/staff/${disabled.id}`).send({ disabled: true }).expect(200);

      const responses = [
        await login(t.server, user.email, `${user.password}-wrong`),
        await login(t.server, 'nobody@misp.example', user.password),
        await login(t.server, disabled.email, disabled.password),
      ];
      for (const response of responses) {
        expectUnauthorized(response);
        expect(response.body.detail).toBe(BAD_CREDENTIALS);
      }
      await signInAs(user);
    });

    it('refuses malformed bodies and extra fields with 400 before checking any password', async () => {
      const missing = await request(t.server)
        .post('/v1/auth/login')
        .send({ email: TEST_ADMIN.email })
        .expect(400);
      expect(missing.body.code).toBe('VALIDATION_FAILED');
      expect(fieldsOf(missing.body)).toEqual(['password']);
      const extra = await request(t.server)
        .post('/v1/auth/login')
        .send({ ...TEST_ADMIN, role: 'admin' })
        .expect(400);
      expect(extra.body.errors).toEqual([{ field: 'role', message: 'property role should not exist' }]);
      // Credentials in the query string are not read.
      await request(t.server)
        .post(`/v1/auth/login?email=${encodeURIComponent(TEST_ADMIN.email)}&password=x`)
        .send({})
        .expect(400);
    });
  });

  describe('refresh and logout', () => {
    it('rotates the refresh token, and a reused one revokes the whole session', async () => {
      const user = await createStaff('operator');
      const first = await signInAs(user);
      const second = (
        await request(t.server)
          .post('/v1/auth/refresh')
          .send({ refresh_token: first.refresh_token })
          .expect(200)
      ).body as TokenPair;
      secrets.push(second.access_token, second.refresh_token);
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(claimsOf(second.access_token).sid).toBe(claimsOf(first.access_token).sid);
      await me(t.server, second.access_token).expect(200);

      // The first token again: someone copied it. The session ends for everyone holding any of its tokens.
      expectUnauthorized(
        await request(t.server).post('/v1/auth/refresh').send({ refresh_token: first.refresh_token }),
      );
      expectUnauthorized(
        await request(t.server).post('/v1/auth/refresh').send({ refresh_token: second.refresh_token }),
      );
      expectUnauthorized(await me(t.server, second.access_token));
      expectUnauthorized(await me(t.server, first.access_token));
      // Other sessions of the user are untouched.
      await me(t.server, (await signInAs(user)).access_token).expect(200);
    });

    it('refuses unknown refresh tokens and extra fields', async () => {
      expectUnauthorized(
        await request(t.server)
          .post('/v1/auth/refresh')
          .send({ refresh_token: 'x'.repeat(43) }),
      );
      const extra = await request(t.server)
        .post('/v1/auth/refresh')
        .send({ refresh_token: 'x'.repeat(43), role: 'admin' })
        .expect(400);
      expect(extra.body.code).toBe('VALIDATION_FAILED');
    });

    it('ends the session at logout: its access and refresh tokens stop working, other sessions do not', async () => {
      const user = await createStaff('viewer');
      const ending = await signInAs(user);
      const other = await signInAs(user);
      await request(t.server)
        .post('/v1/auth/logout')
        .set('Authorization', `Bearer ${ending.access_token}`)
        .expect(204);
      expectUnauthorized(await me(t.server, ending.access_token));
      expectUnauthorized(
        await request(t.server).post('/v1/auth/refresh').send({ refresh_token: ending.refresh_token }),
      );
      await me(t.server, other.access_token).expect(200);
      expectUnauthorized(await request(t.server).post('/v1/auth/logout'));
    });
  });

  describe('refused access tokens', () => {
    it('refuses alg none, a bad signature, another key, another algorithm and garbage with 401', async () => {
      const user = await createStaff('viewer');
      const { access_token: token } = await signInAs(user);
      await me(t.server, token).expect(200);
      const claims = claimsOf(token);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const secret = t.app.get(AccessTokenKey).secret;

      const forged = [
        `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, role: 'admin' })}.`,
        `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`,
        `${header}.${base64url({ ...claims, role: 'admin' })}.${signature}`,
        signJwt({ alg: 'HS256', typ: 'JWT' }, claims, 'another-key-of-at-least-32-bytes!!'),
        // The right key but another algorithm: the algorithm is pinned to HS256.
        signJwt({ alg: 'HS512', typ: 'JWT' }, claims, secret, 'sha512'),
        'not.a.jwt',
        'garbage',
      ];
      for (const candidate of forged) {
        expectUnauthorized(await me(t.server, candidate));
      }
      // Control: the same hand signing with the right key and algorithm is accepted.
      await me(t.server, signJwt({ alg: 'HS256', typ: 'JWT' }, claims, secret)).expect(200);
    });

    it('refuses an expired token by the app clock', async () => {
      const user = await createStaff('viewer');
      const { access_token: token } = await signInAs(user);
      await me(t.server, token).expect(200);
      // 10 s before the 900 s expiry (real time also passes between the calls on a slow machine), then past it.
      clock.advance(890_000);
      await me(t.server, token).expect(200);
      clock.advance(10_000);
      expectUnauthorized(await me(t.server, token));
    });

    it('refuses the token of a disabled or deleted user, and of a demoted one', async () => {
      const disabled = await createStaff('operator');
      const deleted = await createStaff('operator');
      const demoted = await createStaff('operator');
      const tokens = await Promise.all([disabled, deleted, demoted].map((user) => signInAs(user)));
      await t.http.patch(`/v1/staff/${disabled.id}`).send({ disabled: true }).expect(200);
      await t.http.delete(`/v1/staff/${deleted.id}`).expect(204);
      await t.http.patch(`/v1/staff/${demoted.id}`).send({ role: 'viewer' }).expect(200);
      for (const pair of tokens) {
        expectUnauthorized(await me(t.server, pair.access_token));
        expectUnauthorized(
          await request(t.server).post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token }),
        );
      }
      // The demoted user signs in again with the new role.
      expect(claimsOf((await signInAs(demoted)).access_token).role).toBe('viewer');
    });
  });

  describe('API keys', () => {
    it('shows the secret once, lists keys without it, records use, and revokes at once', async () => {
      // The harness's admin key was created by the bootstrap admin; keys it creates keep that person as creator.
      const adminId = (await t.http.get('/v1/auth/me').expect(200)).body.staffId as string;
      expect(adminId).toMatch(/^[0-9a-f-]{36}$/);
      const created = await t.http
        .post('/v1/api-keys')
        .send({ name: 'nightly report', role: 'viewer' })
        .expect(201);
      const key = created.body as { id: string; secret: string };
      secrets.push(key.secret);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'nightly report',
        role: 'viewer',
        effectiveRole: 'viewer',
        status: 'active',
        createdBy: adminId,
        ownerId: adminId,
        owner: {
          id: adminId,
          email: TEST_ADMIN.email,
          name: 'Administrator',
          role: 'admin',
          disabled: false,
        },
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
        createdAt: expect.any(String),
        secret: expect.stringMatching(new RegExp(`^tnt_${key.id}_[\\w-]{43}$`)),
      });

      const caller = request.agent(t.server).set('X-API-Key', key.secret);
      const profile = await caller.get('/v1/auth/me').expect(200);
      expect(profile.body).toEqual({
        kind: 'api_key',
        id: key.id,
        staffId: adminId,
        label: 'nightly report',
        role: 'viewer',
      });
      await caller.get('/v1/subscribers').expect(200);
      const forbidden = await caller
        .post('/v1/api-keys')
        .send({ name: 'escalate', role: 'admin' })
        .expect(403);
      expect(forbidden.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(forbidden.body).toMatchObject({ code: 'FORBIDDEN', status: 403 });

      const listed = await t.http.get('/v1/api-keys?pageSize=500').expect(200);
      expect(listed.headers['x-pagination']).toBeDefined();
      const row = (listed.body as { id: string; lastUsedAt: string | null }[]).find(
        (item) => item.id === key.id,
      );
      expect(row?.lastUsedAt).toEqual(expect.any(String));
      expect(listed.text).not.toContain(key.secret.slice(-43));
      expect(listed.text).not.toMatch(/secret|hash/i);

      await t.http.delete(`/v1/api-keys/${key.id}`).expect(204);
      expectUnauthorized(await caller.get('/v1/auth/me'));
      const revoked = await t.http.get('/v1/api-keys?pageSize=500').expect(200);
      expect(
        (revoked.body as { id: string; revokedAt: string | null }[]).find((item) => item.id === key.id)
          ?.revokedAt,
      ).toEqual(expect.any(String));
      await t.http.delete('/v1/api-keys/00000000-0000-4000-8000-000000000000').expect(404);
    });

    it('names the signed-in creator of a key', async () => {
      const admin = await signInAs(TEST_ADMIN);
      const created = await request(t.server)
        .post('/v1/api-keys')
        .set('Authorization', `Bearer ${admin.access_token}`)
        .send({ name: 'by a person', role: 'operator' })
        .expect(201);
      secrets.push(created.body.secret as string);
      expect(created.body.createdBy).toBe(claimsOf(admin.access_token).sub);
    });

    it('refuses an expired key, a wrong secret and malformed keys with 401', async () => {
      const expiresAt = new Date(clock.nowMs() + 60_000).toISOString();
      const created = await t.http
        .post('/v1/api-keys')
        .send({ name: 'short-lived', role: 'viewer', expiresAt })
        .expect(201);
      const key = created.body as { id: string; secret: string; expiresAt: string };
      secrets.push(key.secret);
      expect(key.expiresAt).toBe(expiresAt);
      const caller = request.agent(t.server).set('X-API-Key', key.secret);
      await caller.get('/v1/auth/me').expect(200);
      clock.advance(60_000);
      expectUnauthorized(await caller.get('/v1/auth/me'));

      const other = await t.http.post('/v1/api-keys').send({ name: 'other', role: 'viewer' }).expect(201);
      secrets.push(other.body.secret as string);
      const wrongSecret = `tnt_${other.body.id as string}_${'A'.repeat(43)}`;
      for (const presented of [wrongSecret, 'tnt_garbage', `${other.body.secret as string}x`]) {
        expectUnauthorized(await request(t.server).get('/v1/auth/me').set('X-API-Key', presented));
      }
    });

    it('refuses an expiry in the past and extra fields (mass assignment)', async () => {
      const past = await t.http
        .post('/v1/api-keys')
        .send({ name: 'past', role: 'viewer', expiresAt: new Date(clock.nowMs() - 1000).toISOString() })
        .expect(400);
      expect(past.body.errors).toEqual([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
      const extra = await t.http
        .post('/v1/api-keys')
        .send({
          name: 'extra',
          role: 'viewer',
          id: '00000000-0000-4000-8000-000000000000',
          secret: 'mine',
          revokedAt: null,
        })
        .expect(400);
      expect(extra.body.code).toBe('VALIDATION_FAILED');
      expect(fieldsOf(extra.body)).toEqual(['id', 'revokedAt', 'secret']);
      await t.http.post('/v1/api-keys').send({ name: 'bad role', role: 'root' }).expect(400);
    });
  });

  describe('staff CRUD', () => {
    it('creates, lists, reads, updates and deletes staff users without ever showing a hash', async () => {
      const created = await t.http
        .post('/v1/staff')
        .send({
          email: 'Olivia.Ops@MISP.example',
          name: 'Olivia Ops',
          role: 'operator',
          password: 'olivia-password-1',
        })
        .expect(201);
      secrets.push('olivia-password-1');
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: 'olivia.ops@misp.example',
        name: 'Olivia Ops',
        role: 'operator',
        disabled: false,
        lastLoginAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const id = created.body.id as string;
      const duplicate = await t.http
        .post('/v1/staff')
        .send({
          email: 'OLIVIA.OPS@misp.example',
          name: 'Again',
          role: 'viewer',
          password: 'another-password-1',
        })
        .expect(409);
      expect(duplicate.body.code).toBe('CONFLICT');

      const list = await t.http.get('/v1/staff?pageSize=2').expect(200);
      expect(JSON.parse(list.headers['x-pagination'])).toMatchObject({
        page_Size: 2,
        current_Page: 1,
      });
      expect((list.body as unknown[]).length).toBe(2);
      const all = await t.http.get('/v1/staff?pageSize=500').expect(200);
      expect(all.text).not.toMatch(/scrypt|password/i);

      const updated = await t.http
        .patch(`/v1/staff/${id}`)
        .send({ name: 'Olivia O.', password: 'olivia-password-2' })
        .expect(200);
      secrets.push('olivia-password-2');
      expect(updated.body).toMatchObject({ id, name: 'Olivia O.', role: 'operator' });
      expectUnauthorized(await login(t.server, 'olivia.ops@misp.example', 'olivia-password-1'));
      await signIn(t.server, 'olivia.ops@misp.example', 'olivia-password-2');

      await t.http.delete(`/v1/staff/${id}`).expect(204);
      await t.http.get(`/v1/staff/${id}`).expect(404);
      await t.http.delete(`/v1/staff/${id}`).expect(404);
      await t.http.patch(`/v1/staff/${id}`).send({ name: 'Ghost' }).expect(404);
      await t.http.get('/v1/staff/not-a-uuid').expect(400);
    });

    it('never disables, demotes or deletes the last enabled admin', async () => {
      const adminId = claimsOf((await signInAs(TEST_ADMIN)).access_token).sub as string;
      // Another admin that is disabled does not count.
      const dormant = await createStaff('admin');
      await t.http.patch(`/v1/staff/${dormant.id}`).send({ disabled: true }).expect(200);

      for (const change of [{ role: 'operator' }, { role: 'viewer' }, { disabled: true }]) {
        const refused = await t.http.patch(`/v1/staff/${adminId}`).send(change).expect(409);
        expect(refused.body).toMatchObject({
          code: 'CONFLICT',
          detail: expect.stringContaining('last enabled admin'),
        });
      }
      await t.http.delete(`/v1/staff/${adminId}`).expect(409);
      await t.http.patch(`/v1/staff/${adminId}`).send({ name: 'Still the admin' }).expect(200);
      await signInAs(TEST_ADMIN);

      // With a second enabled admin, either may step down, but not both.
      await t.http.patch(`/v1/staff/${dormant.id}`).send({ disabled: false }).expect(200);
      await t.http.patch(`/v1/staff/${dormant.id}`).send({ role: 'operator' }).expect(200);
      await t.http.delete(`/v1/staff/${adminId}`).expect(409);
    });

    it('refuses extra fields on create and update (mass assignment)', async () => {
      const create = await t.http
        .post('/v1/staff')
        .send({
          email: 'mallory@misp.example',
          name: 'Mallory',
          role: 'viewer',
          password: 'mallory-password',
          id: '00000000-0000-4000-8000-000000000000',
          passwordHash: 'scrypt$N=2,r=1,p=1$AAAA$AAAA',
          disabled: false,
          status: 'active',
        })
        .expect(400);
      expect(create.body.code).toBe('VALIDATION_FAILED');
      expect(fieldsOf(create.body)).toEqual(['disabled', 'id', 'passwordHash', 'status']);
      const user = await createStaff('viewer');
      const update = await t.http
        .patch(`/v1/staff/${user.id}`)
        .send({ email: 'other@misp.example', passwordHash: 'x', lastLoginAt: null, createdAt: '2020-01-01' })
        .expect(400);
      expect(fieldsOf(update.body)).toEqual(['createdAt', 'email', 'lastLoginAt', 'passwordHash']);
      const weak = await t.http
        .post('/v1/staff')
        .send({ email: 'weak@misp.example', name: 'Weak', role: 'viewer', password: 'short' })
        .expect(400);
      expect(weak.body.errors).toEqual([
        { field: 'password', message: 'password must be longer than or equal to 12 characters' },
      ]);
      await t.http
        .get(`/v1/staff/${user.id}`)
        .expect(200)
        .expect((response) => {
          expect(response.body).toMatchObject({ email: user.email, role: 'viewer', disabled: false });
        });
    });
  });

  it('keeps secrets out of the database in plaintext and out of every log line', async () => {
    const dataSource = t.app.get(DataSource);
    const [admin] = await dataSource.query<{ password_hash: string }[]>(
      'SELECT password_hash FROM staff_users WHERE email = $1',
      [TEST_ADMIN.email],
    );
    expect(admin?.password_hash).toMatch(/^scrypt\$N=32768,r=8,p=3\$/);
    const stored = JSON.stringify([
      await dataSource.query('SELECT * FROM staff_users'),
      await dataSource.query('SELECT * FROM refresh_tokens'),
      await dataSource.query('SELECT * FROM api_keys'),
    ]);
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      // API keys are stored by id; only the secret part after the id must stay out.
      const sensitive = secret.startsWith('tnt_') ? secret.slice(-43) : secret;
      expect({ secret, inDatabase: stored.includes(sensitive) }).toEqual({ secret, inDatabase: false });
      expect({ secret, logged: t.logs.filter((line) => line.includes(sensitive)) }).toEqual({
        secret,
        logged: [],
      });
    }
  });
});

describe('login throttling', () => {
  it('locks an account out after repeated failures (429 + Retry-After) until the lockout passes; success resets the count', async () => {
    // Frozen but for advance(): Retry-After is asserted to the second, however slow the machine.
    const frozenAt = Date.now();
    const clock = new OffsetClock(() => frozenAt);
    const t = await startTestApp(
      {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
        LOGIN_MAX_FAILURES_PER_IP: '1000',
        LOGIN_FAILURE_WINDOW_SECONDS: '600',
        LOGIN_LOCKOUT_SECONDS: '60',
      },
      { clock },
    );
    try {
      const user = { email: 'target@misp.example', password: 'target-password-1' };
      await t.http
        .post('/v1/staff')
        .send({ ...user, name: 'Target', role: 'viewer' })
        .expect(201);

      // Two failures, then a success: the count starts again.
      await login(t.server, user.email, 'wrong-password-1').expect(401);
      await login(t.server, user.email, 'wrong-password-2').expect(401);
      await login(t.server, user.email, user.password).expect(200);
      await login(t.server, user.email, 'wrong-password-3').expect(401);
      await login(t.server, user.email, 'wrong-password-4').expect(401);
      await login(t.server, user.email, 'wrong-password-5').expect(401);

      // Locked: even the right password is refused, with a problem and Retry-After.
      const locked = await login(t.server, user.email.toUpperCase(), user.password).expect(429);
      expect(locked.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(locked.headers['retry-after']).toBe('60');
      expect(locked.body).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 60 });
      // Other accounts from the same address are not affected.
      await login(t.server, TEST_ADMIN.email, TEST_ADMIN.password).expect(200);

      clock.advance(45_000);
      expect((await login(t.server, user.email, user.password).expect(429)).headers['retry-after']).toBe(
        '15',
      );
      clock.advance(15_000);
      await login(t.server, user.email, user.password).expect(200);
    } finally {
      await t.close();
    }
  });

  it('locks out an address after repeated failures across accounts', async () => {
    const clock = new OffsetClock();
    const t = await startTestApp(
      { LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', LOGIN_MAX_FAILURES_PER_IP: '4', LOGIN_LOCKOUT_SECONDS: '120' },
      { clock },
    );
    try {
      for (const index of [1, 2, 3, 4]) {
        await login(t.server, `sprayed-${index}@misp.example`, 'password-spray-1').expect(401);
      }
      const locked = await login(t.server, TEST_ADMIN.email, TEST_ADMIN.password).expect(429);
      expect(locked.headers['retry-after']).toBe('120');
      // API keys and other routes are not throttled by failed sign-ins.
      await t.http.get('/v1/auth/me').expect(200);
      clock.advance(120_000);
      await login(t.server, TEST_ADMIN.email, TEST_ADMIN.password).expect(200);
    } finally {
      await t.close();
    }
  });
});

describe('first admin', () => {
  const directories: string[] = [];

  /** Boots the app without the harness's sign-in (which needs an admin to exist). */
  async function boot(
    directory: string,
    env: RawEnvironment,
  ): Promise<{ server: App; logs: string[]; close: () => Promise<void> }> {
    __resetOutOfContextForTests();
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrlOf(directory),
      VAULT_KEY_FILE: join(directory, 'vault-keys.dev'),
      ...env,
    });
    const logs: string[] = [];
    const app = await createApp(config, { logDestination: { write: (line: string) => logs.push(line) } });
    await app.init();
    return { server: app.getHttpServer() as App, logs, close: () => app.close() };
  }

  afterAll(async () => {
    await dropDirectoryDatabases();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  /** Runs `work` with process.stderr looking like a terminal or not, capturing what is written to stdout/stderr. */
  async function withStderr(
    isTTY: boolean,
    work: (printed: { stdout: string[]; stderr: string[] }) => Promise<void>,
  ): Promise<void> {
    const original = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
    const printed = { stdout: [] as string[], stderr: [] as string[] };
    const spies = (['stdout', 'stderr'] as const).map((stream) =>
      jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed[stream].push(String(chunk));
        return true;
      }),
    );
    try {
      await work(printed);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
      if (original === undefined) {
        delete (process.stderr as { isTTY?: boolean }).isTTY;
      } else {
        Object.defineProperty(process.stderr, 'isTTY', original);
      }
    }
  }

  it('in sandbox mode at a terminal, creates a demo admin and prints its password once on stderr, never in the log', async () => {
    const directory = await makeDatabaseDirectory('tenantry-auth-');
    directories.push(directory);
    await withStderr(true, async (printed) => {
      const first = await boot(directory, { IPAAS_BASE_URL: 'sandbox' });
      const banner = printed.stderr.join('');
      const [, password] = /password: (\S+)/.exec(banner) ?? [];
      expect(banner).toContain('admin@sandbox.test');
      expect(password).toMatch(/^[\w-]{43}$/);
      // stdout carries the JSON log in production: the password is neither there nor in the log lines.
      expect(printed.stdout.join('')).not.toContain(password);
      expect(first.logs.filter((line) => line.includes(password))).toEqual([]);
      await signIn(first.server, 'admin@sandbox.test', password);
      await first.close();

      printed.stderr.length = 0;
      const second = await boot(directory, { IPAAS_BASE_URL: 'sandbox' });
      expect(printed.stderr.join('')).not.toContain('admin@sandbox.test');
      await second.close();
    });
  });

  it('in sandbox mode without a terminal on stderr, creates no admin, prints no password, and logs how to make one', async () => {
    const directory = await makeDatabaseDirectory('tenantry-auth-');
    directories.push(directory);
    await withStderr(false, async (printed) => {
      const app = await boot(directory, { IPAAS_BASE_URL: 'sandbox' });
      try {
        expect([...printed.stdout, ...printed.stderr].join('')).not.toMatch(/password: /);
        expect(app.logs.join('\n')).not.toMatch(/password: /);
        expect(
          app.logs.some(
            (line) =>
              line.includes('stderr is not a terminal') &&
              line.includes('ADMIN_EMAIL') &&
              line.includes('staff:create'),
          ),
        ).toBe(true);
        await login(app.server, 'admin@sandbox.test', 'any-password-at-all').expect(401);
      } finally {
        await app.close();
      }
    });
  });

  it('outside the sandbox, with no ADMIN_EMAIL, creates nobody and warns how to create an admin', async () => {
    const directory = await makeDatabaseDirectory('tenantry-auth-');
    directories.push(directory);
    const app = await boot(directory, { IPAAS_BASE_URL: 'http://127.0.0.1:9' });
    try {
      expect(
        app.logs.some((line) => line.includes('No staff user exists') && line.includes('staff:create')),
      ).toBe(true);
      await login(app.server, 'admin@sandbox.test', 'whatever-password').expect(401);
    } finally {
      await app.close();
    }
  });

  it('`npm run cli -- staff:create` adds staff from stdin or with a printed password, and refuses a duplicate email', async () => {
    const directory = await makeDatabaseDirectory('tenantry-auth-');
    directories.push(directory);
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrlOf(directory),
      VAULT_KEY_FILE: join(directory, 'vault-keys.dev'),
    };
    const cli = (args: string[]): ReturnType<typeof spawnTs> =>
      spawnTs('src/cli.ts', { cwd: directory, env, args: ['staff:create', ...args] });

    const fromStdin = cli([
      '--email',
      'Olga@MISP.example',
      '--name',
      'Olga Ops',
      '--role',
      'operator',
      '--password-stdin',
    ]);
    fromStdin.child.stdin.end('olga-password-from-stdin\n');
    expect(await fromStdin.exited).toMatchObject({ code: 0 });
    expect(fromStdin.stdout()).toMatch(
      /^staff:create done id=[0-9a-f-]{36} email=olga@misp\.example role=operator\n$/,
    );
    expect(fromStdin.stdout() + fromStdin.stderr()).not.toContain('olga-password-from-stdin');

    // After the first run has applied the migrations, two at once.
    const duplicate = cli(['--email', 'olga@misp.example', '--name', 'Olga again', '--role', 'viewer']);
    const generated = cli(['--email', 'gene@misp.example', '--name', 'Gene', '--role', 'admin']);
    expect(await duplicate.exited).toMatchObject({ code: 1 });
    expect(duplicate.stderr()).toContain(
      'staff:create failed: A staff user with email olga@misp.example exists',
    );
    expect(duplicate.stdout()).toBe('');
    expect(await generated.exited).toMatchObject({ code: 0 });
    const [, password] = /password \(shown once\): (\S+)/.exec(generated.stdout()) ?? [];
    expect(password).toMatch(/^[\w-]{43}$/);

    const app = await boot(directory, { IPAAS_BASE_URL: 'http://127.0.0.1:9' });
    try {
      await signIn(app.server, 'olga@misp.example', 'olga-password-from-stdin');
      const admin = await signIn(app.server, 'gene@misp.example', password);
      expect(claimsOf(admin.access_token).role).toBe('admin');
      // Staff existed, so no first admin was made and no warning given.
      expect(app.logs.some((line) => line.includes('No staff user exists'))).toBe(false);
    } finally {
      await app.close();
    }
  });
});
