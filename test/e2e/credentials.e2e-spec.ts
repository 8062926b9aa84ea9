import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { DataSource } from 'typeorm';

import { CredentialsService } from '../../src/credentials/credentials.service';
import { SubscribersService } from '../../src/subscribers/subscribers.service';
import { startTestApp, type TestApp } from '../utils/test-app';

const fields = (body: { errors: { field: string }[] }): string[] => body.errors.map((error) => error.field);
const companyIds = (body: { ipaasCompanyId: string }[]): string[] => body.map((item) => item.ipaasCompanyId);

const VAULT_KEYS = `k1:${randomBytes(32).toString('base64')}`;
// Not the sandbox, which stores a demo MiSP login at boot: every stored secret here is one the test made.
const ENV = { VAULT_KEYS, IPAAS_BASE_URL: 'http://127.0.0.1:9' };

describe('subscribers and credentials over HTTP', () => {
  let testApp: TestApp;
  let credentials: CredentialsService;
  let subscribers: SubscribersService;

  beforeAll(async () => {
    testApp = await startTestApp(ENV);
    credentials = testApp.app.get(CredentialsService);
    subscribers = testApp.app.get(SubscribersService);
  });

  afterAll(async () => {
    await testApp.close();
  });

  describe('POST/GET /v1/subscribers', () => {
    // No MiSP login is stored here, so iPaaS.com cannot be asked: the company is stored unverified.
    it('should create a subscriber (201) and read it back', async () => {
      const created = await testApp.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: 'company-create-1', name: 'Acme Outdoor' })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        ipaasCompanyId: 'company-create-1',
        name: 'Acme Outdoor',
        status: 'unverified',
        statusReason:
          'not verified at iPaaS.com (MISP_ACCOUNT_MISSING: Store the MiSP login first: PUT /v1/misp-account); ' +
          'the next sync verifies it',
        healthStatus: 'unknown',
        healthSince: null,
        credentialStatus: 'none',
        tags: [],
        externalRef: null,
        notes: null,
        vendorRequestId: null,
        syncedAt: null,
        quotaExhaustedUntil: null,
        createdAt: expect.any(String),
        updatedAt: created.body.createdAt,
      });
      const read = await testApp.http.get(`/v1/subscribers/${created.body.id}`).expect(200);
      expect(read.body).toEqual(created.body);
    });

    it('should answer 409 CONFLICT for a company id already registered', async () => {
      await testApp.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: 'company-dup', name: 'First' })
        .expect(201);
      const duplicate = await testApp.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: 'company-dup', name: 'Second' })
        .expect(409);
      expect(duplicate.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(duplicate.body).toMatchObject({ code: 'CONFLICT', status: 409 });
    });

    it('should give exactly one 201 when the same company is registered concurrently', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 8 }, () =>
          testApp.http.post('/v1/subscribers').send({ ipaasCompanyId: 'company-race', name: 'Race' }),
        ),
      );
      expect(statuses.map((response) => response.status).sort()).toEqual([
        201, 409, 409, 409, 409, 409, 409, 409,
      ]);
    });

    it('should refuse invalid bodies with VALIDATION_FAILED and the fields', async () => {
      const missing = await testApp.http.post('/v1/subscribers').send({}).expect(400);
      expect(missing.body.code).toBe('VALIDATION_FAILED');
      expect(fields(missing.body).sort()).toEqual(expect.arrayContaining(['ipaasCompanyId', 'name']));
      const bad = await testApp.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: 'has spaces', name: '', extra: true })
        .expect(400);
      expect(fields(bad.body).sort()).toEqual(['extra', 'ipaasCompanyId', 'name']);
    });

    it('should answer 404 for an unknown id and 400 for an id that is not a UUID', async () => {
      const unknown = await testApp.http
        .get('/v1/subscribers/00000000-0000-4000-8000-000000000000')
        .expect(404);
      expect(unknown.body.code).toBe('NOT_FOUND');
      await testApp.http.get('/v1/subscribers/not-a-uuid').expect(400);
    });

    it('should page the list with X-Pagination, oldest first', async () => {
      const fresh = await startTestApp(ENV);
      try {
        for (const index of [1, 2, 3]) {
          await fresh.http
            .post('/v1/subscribers')
            .send({ ipaasCompanyId: `page-${index}`, name: `Company ${index}` })
            .expect(201);
        }
        const first = await fresh.http.get('/v1/subscribers?pageSize=2').expect(200);
        expect(JSON.parse(first.headers['x-pagination'])).toEqual({
          total_Count: 3,
          page_Size: 2,
          current_Page: 1,
          total_Pages: 2,
          previous_Page: 'No',
          next_Page: 'Yes',
        });
        expect(companyIds(first.body)).toEqual(['page-1', 'page-2']);
        const second = await fresh.http.get('/v1/subscribers?pageSize=2&pageNumber=2').expect(200);
        expect(companyIds(second.body)).toEqual(['page-3']);
        expect(JSON.parse(second.headers['x-pagination'])).toMatchObject({ next_Page: 'No' });
        await fresh.http.get('/v1/subscribers?pageSize=501').expect(400);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('company credential', () => {
    it('should answer 404 for a subscriber without credential, and for an unknown subscriber', async () => {
      const subscriber = await subscribers.create({ ipaasCompanyId: 'cred-none', name: 'None' });
      const none = await testApp.http.get(`/v1/subscribers/${subscriber.id}/credential`).expect(404);
      expect(none.body.code).toBe('NOT_FOUND');
      await testApp.http.get('/v1/subscribers/00000000-0000-4000-8000-000000000000/credential').expect(404);
      await expect(
        credentials.saveApiKey('00000000-0000-4000-8000-000000000000', 'k'.repeat(20), null),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(credentials.loadCompanyCredential(subscriber.id)).resolves.toBeNull();
    });

    it('should store an API key sealed, show metadata only, and load it decrypted', async () => {
      const subscriber = await subscribers.create({ ipaasCompanyId: 'cred-api', name: 'Api' });
      const verifiedAt = new Date('2026-01-02T03:04:05.000Z');
      const view = await credentials.saveApiKey(subscriber.id, 'api-key-0123456789-WXYZ', verifiedAt);
      expect(view).toMatchObject({ kind: 'api_key', last4: 'WXYZ', keyId: 'k1', status: 'valid' });

      const response = await testApp.http.get(`/v1/subscribers/${subscriber.id}/credential`).expect(200);
      expect(response.body).toEqual({
        subscriberId: subscriber.id,
        kind: 'api_key',
        last4: 'WXYZ',
        keyId: 'k1',
        expiresAt: null,
        lastVerifiedAt: '2026-01-02T03:04:05.000Z',
        status: 'valid',
        invalidReason: null,
        updatedAt: expect.any(String),
      });
      expect(JSON.stringify(response.body)).not.toContain('api-key-0123456789');

      await expect(credentials.loadCompanyCredential(subscriber.id)).resolves.toEqual({
        kind: 'api_key',
        apiKey: 'api-key-0123456789-WXYZ',
        expiresAt: null,
        status: 'valid',
        invalidReason: null,
      });
      const [row] = await testApp.app
        .get(DataSource)
        .query<{ api_key_sealed: string }[]>(
          'SELECT api_key_sealed FROM company_credentials WHERE subscriber_id = $1',
          [subscriber.id],
        );
      expect(row?.api_key_sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    });

    it('should give no hint for a short secret', async () => {
      const subscriber = await subscribers.create({ ipaasCompanyId: 'cred-short', name: 'Short' });
      await expect(credentials.saveApiKey(subscriber.id, 'short-key', null)).resolves.toMatchObject({
        last4: '',
      });
    });

    it('should replace an API key with a session (one row per company) and load the session', async () => {
      const subscriber = await subscribers.create({ ipaasCompanyId: 'cred-session', name: 'Session' });
      await credentials.saveApiKey(subscriber.id, 'api-key-to-be-replaced', null);
      const timestamps = (): Promise<{ created_at: string; updated_at: string }[]> =>
        testApp.app
          .get(DataSource)
          .query('SELECT created_at, updated_at FROM company_credentials WHERE subscriber_id = $1', [
            subscriber.id,
          ]);
      const [before] = await timestamps();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const expiresAt = new Date('2030-05-06T07:08:09.000Z');
      await credentials.saveCompanySession(subscriber.id, {
        accessToken: 'access-token-abcdefgh-1234',
        refreshToken: 'refresh-token-abcdefgh',
        expiresAt,
      });
      const [after] = await timestamps();
      expect(Number(after?.created_at)).toBe(Number(before?.created_at));
      expect(Number(after?.updated_at)).toBeGreaterThan(Number(before?.updated_at));
      await expect(credentials.loadCompanyCredential(subscriber.id)).resolves.toEqual({
        kind: 'company_session',
        accessToken: 'access-token-abcdefgh-1234',
        refreshToken: 'refresh-token-abcdefgh',
        expiresAt,
        status: 'valid',
        invalidReason: null,
      });
      const response = await testApp.http.get(`/v1/subscribers/${subscriber.id}/credential`).expect(200);
      expect(response.body).toMatchObject({
        kind: 'company_session',
        last4: '1234',
        expiresAt: '2030-05-06T07:08:09.000Z',
      });
      const rows = await testApp.app
        .get(DataSource)
        .query<{ api_key_sealed: string | null }[]>(
          'SELECT api_key_sealed FROM company_credentials WHERE subscriber_id = $1',
          [subscriber.id],
        );
      expect(rows).toEqual([{ api_key_sealed: null }]);

      await credentials.saveCompanySession(subscriber.id, {
        accessToken: 'access-token-2-abcdefgh',
        refreshToken: null,
        expiresAt,
      });
      await expect(credentials.loadCompanyCredential(subscriber.id)).resolves.toMatchObject({
        accessToken: 'access-token-2-abcdefgh',
        refreshToken: null,
      });
    });

    it('should mark a credential invalid and verified again', async () => {
      const subscriber = await subscribers.create({ ipaasCompanyId: 'cred-status', name: 'Status' });
      await credentials.saveApiKey(subscriber.id, 'api-key-status-0000', null);
      await credentials.markCredentialInvalid(subscriber.id, 'iPaaS.com answered 401 after a refresh');
      const invalid = await testApp.http.get(`/v1/subscribers/${subscriber.id}/credential`).expect(200);
      expect(invalid.body).toMatchObject({
        status: 'invalid',
        invalidReason: 'iPaaS.com answered 401 after a refresh',
      });
      await expect(credentials.loadCompanyCredential(subscriber.id)).resolves.toMatchObject({
        status: 'invalid',
      });

      const at = new Date('2026-03-04T05:06:07.000Z');
      await credentials.markCredentialVerified(subscriber.id, at);
      await expect(credentials.getCredential(subscriber.id)).resolves.toMatchObject({
        status: 'valid',
        invalidReason: null,
        lastVerifiedAt: at,
      });
      const other = await subscribers.create({ ipaasCompanyId: 'cred-status-none', name: 'None' });
      await expect(credentials.markCredentialInvalid(other.id, 'x')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('should delete a credential (204), then answer 404', async () => {
      const subscriber = await subscribers.create({ ipaasCompanyId: 'cred-delete', name: 'Delete' });
      await credentials.saveApiKey(subscriber.id, 'api-key-delete-0000', null);
      await testApp.http.delete(`/v1/subscribers/${subscriber.id}/credential`).expect(204);
      await testApp.http.get(`/v1/subscribers/${subscriber.id}/credential`).expect(404);
      const again = await testApp.http.delete(`/v1/subscribers/${subscriber.id}/credential`).expect(404);
      expect(again.body.code).toBe('NOT_FOUND');
      await expect(credentials.loadCompanyCredential(subscriber.id)).resolves.toBeNull();
    });

    it('should remove the credential with its subscriber (ON DELETE CASCADE)', async () => {
      const subscriber = await subscribers.create({ ipaasCompanyId: 'cred-cascade', name: 'Cascade' });
      await credentials.saveApiKey(subscriber.id, 'api-key-cascade-0000', null);
      const dataSource = testApp.app.get(DataSource);
      await dataSource.query('DELETE FROM subscribers WHERE id = $1', [subscriber.id]);
      const rows = await dataSource.query<unknown[]>(
        'SELECT 1 FROM company_credentials WHERE subscriber_id = $1',
        [subscriber.id],
      );
      expect(rows).toEqual([]);
    });
  });

  describe('MiSP account', () => {
    it('should answer 404 until a login is stored, then metadata only; the password loads decrypted', async () => {
      const fresh = await startTestApp(ENV);
      try {
        const missing = await fresh.http.get('/v1/misp-account').expect(404);
        expect(missing.body.code).toBe('NOT_FOUND');
        const service = fresh.app.get(CredentialsService);
        await expect(service.loadMispLogin()).resolves.toBeNull();
        await service.saveMispLogin({
          email: 'ops@misp.example',
          password: 'misp-password-1',
          vendorUserId: 42,
          verifiedAt: new Date('2026-02-03T04:05:06.000Z'),
        });
        const response = await fresh.http.get('/v1/misp-account').expect(200);
        expect(response.body).toEqual({
          email: 'ops@misp.example',
          vendorUserId: 42,
          keyId: 'k1',
          verifiedAt: '2026-02-03T04:05:06.000Z',
          updatedAt: expect.any(String),
        });
        await expect(service.loadMispLogin()).resolves.toEqual({
          email: 'ops@misp.example',
          password: 'misp-password-1',
          vendorUserId: 42,
        });
        await service.saveMispLogin({
          email: 'ops2@misp.example',
          password: 'misp-password-2',
          vendorUserId: null,
          verifiedAt: null,
        });
        await expect(service.loadMispLogin()).resolves.toEqual({
          email: 'ops2@misp.example',
          password: 'misp-password-2',
          vendorUserId: null,
        });
        await expect(
          service.saveMispLogin({ email: 'x@y.z', password: '', vendorUserId: null, verifiedAt: null }),
        ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      } finally {
        await fresh.close();
      }
    });
  });
});

/**
 * Everything the database holds, as text to search: on SQLite the bytes of the file and its WAL; on PostgreSQL
 * (whose files the test cannot read) every row of every table, in PostgreSQL's text form.
 */
async function storedContents(
  testApp: TestApp,
  dataSource: DataSource,
): Promise<{ source: string; content: string }[]> {
  const database = testApp.config.database;
  if (database.kind === 'sqlite') {
    await dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
    return [database.path, `${database.path}-wal`]
      .filter((file) => existsSync(file))
      .map((file) => ({ source: file, content: readFileSync(file).toString('latin1') }));
  }
  const tables = await dataSource.query<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  return Promise.all(
    tables.map(async ({ table_name: table }) => {
      const rows = await dataSource.query<{ row: string }[]>(`SELECT t::text AS row FROM "${table}" t`);
      return { source: `table ${table}`, content: rows.map(({ row }) => row).join('\n') };
    }),
  );
}

describe('a canary secret never appears in plaintext (V8)', () => {
  const canaries = {
    apiKey: 'canary-9f8e7d6c5b4a-api',
    access: 'canary-9f8e7d6c5b4a-access',
    refresh: 'canary-9f8e7d6c5b4a-refresh',
    password: 'canary-9f8e7d6c5b4a-password',
  };
  const needles = Object.values(canaries).flatMap((canary) => [
    canary,
    'canary-9f8e7d6c5b4a',
    Buffer.from(canary).toString('base64'),
    Buffer.from(canary).toString('base64url'),
    Buffer.from(canary).toString('hex'),
  ]);

  it('should keep it out of what the database stores, API responses and logs', async () => {
    // nestjs-pino keeps the first app's logger for logs outside a request; this app's lines must land here.
    __resetOutOfContextForTests();
    const testApp = await startTestApp({ ...ENV, LOG_LEVEL: 'debug' });
    try {
      const credentials = testApp.app.get(CredentialsService);
      const subscribers = testApp.app.get(SubscribersService);
      const a = await subscribers.create({ ipaasCompanyId: 'canary-a', name: 'A' });
      const b = await subscribers.create({ ipaasCompanyId: 'canary-b', name: 'B' });
      await credentials.saveApiKey(a.id, canaries.apiKey, null);
      await credentials.saveCompanySession(b.id, {
        accessToken: canaries.access,
        refreshToken: canaries.refresh,
        expiresAt: new Date('2030-01-01T00:00:00.000Z'),
      });
      await credentials.saveMispLogin({
        email: 'ops@misp.example',
        password: canaries.password,
        vendorUserId: 7,
        verifiedAt: null,
      });
      // The secrets really are stored and readable.
      await expect(credentials.loadCompanyCredential(a.id)).resolves.toMatchObject({
        apiKey: canaries.apiKey,
      });
      await expect(credentials.loadMispLogin()).resolves.toMatchObject({ password: canaries.password });

      // An error path: B's row gets A's ciphertext, and loading it fails (logged, not leaked).
      const dataSource = testApp.app.get(DataSource);
      await dataSource.query(
        `UPDATE company_credentials SET access_token_sealed =
           (SELECT api_key_sealed FROM company_credentials WHERE subscriber_id = $1) WHERE subscriber_id = $2`,
        [a.id, b.id],
      );
      await expect(credentials.loadCompanyCredential(b.id)).rejects.toMatchObject({
        code: 'VAULT_DECRYPT_FAILED',
      });

      const bodies: string[] = [];
      for (const path of [
        `/v1/subscribers/${a.id}/credential`,
        `/v1/subscribers/${b.id}/credential`,
        '/v1/misp-account',
        '/v1/subscribers',
        `/v1/subscribers/${a.id}`,
      ]) {
        const response = await testApp.http.get(path).expect(200);
        bodies.push(JSON.stringify(response.headers), response.text);
      }
      const stored = await storedContents(testApp, dataSource);
      const files = stored.map(({ source }) => source);
      const bytes = stored.map(({ content }) => content);
      // Seeded rows are in what was read: the search would find them if the values were plaintext.
      expect(bytes.join('')).toContain('ops@misp.example');
      expect(bytes.join('')).toContain('canary-a');

      for (const needle of needles) {
        for (const [index, content] of bytes.entries()) {
          expect({ file: files[index], found: content.includes(needle) }).toEqual({
            file: files[index],
            found: false,
          });
        }
        expect(bodies.filter((body) => body.includes(needle))).toEqual([]);
        expect(testApp.logs.filter((line) => line.includes(needle))).toEqual([]);
      }
      // The failure was logged with identifiers an operator can act on.
      expect(
        testApp.logs.some((line) => line.includes('A sealed value failed to open') && line.includes(b.id)),
      ).toBe(true);
    } finally {
      await testApp.close();
    }
  });
});
