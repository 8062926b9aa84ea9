import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { DataSource } from 'typeorm';

import { loadConfig } from '../../src/config/load-config';
import { CredentialsService, type StoredCompanyCredential } from '../../src/credentials/credentials.service';
import { buildTypeOrmOptions } from '../../src/database/typeorm-options';
import { SubscribersService } from '../../src/subscribers/subscribers.service';
import { SEALED_TABLES } from '../../src/vault/sealed-columns';
import { SealedRowsRepository } from '../../src/vault/sealed-rows.repository';
import { VaultRotationService } from '../../src/vault/vault-rotation.service';
import { VaultService } from '../../src/vault/vault.service';
import { spawnTs } from '../utils/child-process';
import { startTestApp, type TestApp } from '../utils/test-app';
import {
  databaseUrlOf,
  dropDirectoryDatabases,
  makeDatabaseDirectory,
  ON_POSTGRES,
} from '../utils/test-database';

const ROOT = join(__dirname, '..', '..');
const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const K1_REPLACED = randomBytes(32).toString('base64');
// Not the sandbox: nothing else writes secrets at boot, so every stored row is one the test made.
const VENDOR = { IPAAS_BASE_URL: 'http://127.0.0.1:9' };

/** A temp folder with its own fresh database, shared by every boot and CLI run on it. */
const vaultDirectory = (): Promise<string> => makeDatabaseDirectory('tenantry-vault-');

afterAll(() => dropDirectoryDatabases());

function databaseEnv(directory: string): Record<string, string> {
  return {
    ...VENDOR,
    DATABASE_URL: databaseUrlOf(directory),
    VAULT_KEY_FILE: join(directory, 'keys', 'vault-keys.dev'),
  };
}

/** Boots the app on the database in `directory`, with this app's out-of-request log lines captured. */
function boot(directory: string, env: Record<string, string>): Promise<TestApp> {
  // nestjs-pino keeps the first app's logger for logs written outside a request; reset it per app.
  __resetOutOfContextForTests();
  return startTestApp({ ...databaseEnv(directory), ...env });
}

function bootError(directory: string, env: Record<string, string>): Promise<string> {
  return boot(directory, env).then(
    async (testApp) => {
      await testApp.close();
      throw new Error('expected the boot to be refused');
    },
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

type Expected = Map<string, StoredCompanyCredential>;

/** Every third company gets a session (two sealed columns), the others an API key. */
async function seed(testApp: TestApp, count: number, prefix: string): Promise<Expected> {
  const subscribers = testApp.app.get(SubscribersService);
  const credentials = testApp.app.get(CredentialsService);
  const expected: Expected = new Map();
  for (let index = 0; index < count; index += 1) {
    const subscriber = await subscribers.create({
      ipaasCompanyId: `${prefix}-${index}`,
      name: `Company ${index}`,
    });
    if (index % 3 === 0) {
      const session = {
        accessToken: `access-${prefix}-${index}-${randomBytes(6).toString('hex')}`,
        refreshToken: index % 2 === 0 ? `refresh-${prefix}-${index}-${randomBytes(6).toString('hex')}` : null,
        expiresAt: new Date(Date.UTC(2030, 0, 1, 0, 0, index)),
      };
      await credentials.saveCompanySession(subscriber.id, session);
      expected.set(subscriber.id, {
        kind: 'company_session',
        ...session,
        status: 'valid',
        invalidReason: null,
      });
    } else {
      const apiKey = `api-key-${prefix}-${index}-${randomBytes(6).toString('hex')}`;
      await credentials.saveApiKey(subscriber.id, apiKey, null);
      expected.set(subscriber.id, {
        kind: 'api_key',
        apiKey,
        expiresAt: null,
        status: 'valid',
        invalidReason: null,
      });
    }
  }
  return expected;
}

async function expectReadable(testApp: TestApp, expected: Expected): Promise<void> {
  const credentials = testApp.app.get(CredentialsService);
  for (const [subscriberId, value] of expected) {
    await expect(credentials.loadCompanyCredential(subscriberId)).resolves.toEqual(value);
  }
}

async function keyIdCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const rows = await dataSource.query<{ key_id: string; n: number }[]>(
    `SELECT key_id, COUNT(*) AS n FROM (SELECT key_id FROM company_credentials UNION ALL SELECT key_id FROM misp_accounts) AS sealed
     GROUP BY key_id ORDER BY key_id`,
  );
  return Object.fromEntries(rows.map((row) => [row.key_id, Number(row.n)]));
}

/** A read-only look at the database between runs of the CLI (no app, no migrations). */
async function withDatabase<T>(
  directory: string,
  action: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const config = loadConfig({
    DATABASE_URL: databaseEnv(directory).DATABASE_URL,
    DB_MIGRATIONS_RUN: 'false',
  });
  const dataSource = new DataSource(buildTypeOrmOptions(config));
  await dataSource.initialize();
  try {
    return await action(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

describe('vault keys at boot', () => {
  const directories: string[] = [];
  const directory = async (): Promise<string> => {
    const created = await vaultDirectory();
    directories.push(created);
    return created;
  };

  afterAll(() => {
    for (const created of directories) {
      rmSync(created, { recursive: true, force: true });
    }
  });

  it('should generate a development key file (0600) with a warning, and reuse it on the next start', async () => {
    const dir = await directory();
    const first = await boot(dir, {});
    const keyFile = databaseEnv(dir).VAULT_KEY_FILE;
    let expected: Expected;
    try {
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(first.logs.some((line) => line.includes('generated a DEVELOPMENT vault key'))).toBe(true);
      expect(first.app.get(VaultService).activeKeyId).toBe('dev1');
      expected = await seed(first, 3, 'dev');
    } finally {
      await first.close();
    }
    const content = readFileSync(keyFile, 'utf8');
    const again = await boot(dir, {});
    try {
      expect(readFileSync(keyFile, 'utf8')).toBe(content);
      expect(again.logs.some((line) => line.includes('generated a DEVELOPMENT vault key'))).toBe(false);
      await expectReadable(again, expected);
    } finally {
      await again.close();
    }
  });

  it('should refuse to start when stored rows use a kid that is not loaded, naming it and the row count', async () => {
    const dir = await directory();
    const seeded = await boot(dir, { VAULT_KEYS: `k1:${K1}` });
    await seed(seeded, 2, 'missing');
    await seeded.close();

    const message = await bootError(dir, { VAULT_KEYS: `k2:${K2}` });
    expect(message).toContain('key id k1 is used by 2 stored secret row(s) but is not loaded');
    expect(message).not.toContain(K1);
    expect(message).not.toContain(K2);
  });

  it('should refuse to start when a known kid is loaded with a different key', async () => {
    const dir = await directory();
    // Recorded at the first boot even with nothing stored yet.
    await (await boot(dir, { VAULT_KEYS: `k1:${K1}` })).close();

    const message = await bootError(dir, { VAULT_KEYS: `k1:${K1_REPLACED}` });
    expect(message).toContain('key id k1 is loaded with a different key than the one recorded for it');
    expect(message).not.toContain(K1_REPLACED);
    // The original key still boots.
    await (await boot(dir, { VAULT_KEYS: `k1:${K1}` })).close();
  });

  it('should record a check value per kid, never the key', async () => {
    const dir = await directory();
    const testApp = await boot(dir, { VAULT_KEYS: `k1:${K1},k2:${K2}` });
    try {
      const rows = await testApp.app
        .get(DataSource)
        .query<{ kid: string; check_value: string }[]>(
          'SELECT kid, check_value FROM vault_keys ORDER BY kid',
        );
      expect(rows.map((row) => row.kid)).toEqual(['k1', 'k2']);
      for (const row of rows) {
        expect(row.check_value).toMatch(/^[0-9a-f]{32}$/);
        for (const key of [K1, K2]) {
          expect(Buffer.from(key, 'base64').toString('hex')).not.toContain(row.check_value);
        }
      }
    } finally {
      await testApp.close();
    }
  });

  it('should make `npm start` exit 1 before listening, naming the problem (V7)', async () => {
    const dir = await directory();
    const seeded = await boot(dir, { VAULT_KEYS: `k1:${K1}` });
    await seed(seeded, 1, 'child');
    await seeded.close();

    const cases: [Record<string, string>, string][] = [
      [{ VAULT_KEYS: `k2:${K2}` }, 'key id k1 is used by 1 stored secret row(s) but is not loaded'],
      [{ VAULT_KEYS: `k1:${K1_REPLACED}` }, 'key id k1 is loaded with a different key'],
      [
        { VAULT_KEYS: `k1:${randomBytes(31).toString('base64')}` },
        'key k1 must decode to exactly 32 bytes (got 31)',
      ],
      [
        { VAULT_KEYS: `k1:${K1}`, VAULT_ACTIVE_KEY: 'k9' },
        'active key id k9 is not one of the loaded key ids (k1)',
      ],
      [{ NODE_ENV: 'production', METRICS_TOKEN: 'q8Zr2vLk9TfW3nXc' }, 'VAULT_KEYS: required in production'],
    ];
    await Promise.all(
      cases.map(async ([env, expected]) => {
        const running = spawnTs('src/main.ts', {
          cwd: dir,
          env: { ...databaseEnv(dir), PORT: '0', HOST: '127.0.0.1', ...env },
        });
        const exit = await running.exited;
        expect({ code: exit.code, stderr: running.stderr() }).toEqual({
          code: 1,
          stderr: expect.stringContaining(expected) as string,
        });
        expect(running.stdout()).not.toMatch(/listening on/);
        expect(running.stderr()).not.toContain(K1);
      }),
    );
  }, 60000);
});

describe('tenant binding in the database (V2)', () => {
  let testApp: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = await vaultDirectory();
    testApp = await boot(dir, { VAULT_KEYS: `k1:${K1}` });
  });

  afterAll(async () => {
    await testApp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should refuse a company's ciphertext copied into another company's row, for every pair", async () => {
    const expected = await seed(testApp, 12, 'swap');
    const apiKeyIds = [...expected].filter(([, value]) => value.kind === 'api_key').map(([id]) => id);
    const dataSource = testApp.app.get(DataSource);
    const credentials = testApp.app.get(CredentialsService);
    const envelopeOf = async (id: string): Promise<string> =>
      (
        await dataSource.query<{ api_key_sealed: string }[]>(
          'SELECT api_key_sealed FROM company_credentials WHERE subscriber_id = $1',
          [id],
        )
      )[0]?.api_key_sealed;

    let refused = 0;
    for (const from of apiKeyIds) {
      for (const to of apiKeyIds.filter((id) => id !== from)) {
        const original = await envelopeOf(to);
        await dataSource.query(
          'UPDATE company_credentials SET api_key_sealed = $1 WHERE subscriber_id = $2',
          [await envelopeOf(from), to],
        );
        const outcome = await credentials.loadCompanyCredential(to).then(
          (value) => ({ leaked: JSON.stringify(value) }),
          (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }),
        );
        expect(outcome).toEqual({
          code: 'VAULT_DECRYPT_FAILED',
          message: 'A stored secret could not be decrypted',
        });
        refused += 1;
        await dataSource.query(
          'UPDATE company_credentials SET api_key_sealed = $1 WHERE subscriber_id = $2',
          [original, to],
        );
      }
    }
    expect(refused).toBe(apiKeyIds.length * (apiKeyIds.length - 1));
    await expectReadable(testApp, expected);
  });

  it('should refuse a value moved to another kind: refresh token as access token, MiSP password as API key', async () => {
    const subscribers = testApp.app.get(SubscribersService);
    const credentials = testApp.app.get(CredentialsService);
    const dataSource = testApp.app.get(DataSource);
    const session = await subscribers.create({ ipaasCompanyId: 'kind-session', name: 'Session' });
    await credentials.saveCompanySession(session.id, {
      accessToken: 'access-token-kind-0001',
      refreshToken: 'refresh-token-kind-0001',
      expiresAt: new Date('2030-01-01T00:00:00.000Z'),
    });
    await dataSource.query(
      'UPDATE company_credentials SET access_token_sealed = refresh_token_sealed WHERE subscriber_id = $1',
      [session.id],
    );
    await expect(credentials.loadCompanyCredential(session.id)).rejects.toMatchObject({
      code: 'VAULT_DECRYPT_FAILED',
    });

    const keyed = await subscribers.create({ ipaasCompanyId: 'kind-api', name: 'Api' });
    await credentials.saveApiKey(keyed.id, 'api-key-kind-000001', null);
    await credentials.saveMispLogin({
      email: 'ops@misp.example',
      password: 'misp-password-kind',
      vendorUserId: null,
      verifiedAt: null,
    });
    await dataSource.query(
      "UPDATE company_credentials SET api_key_sealed = (SELECT password_sealed FROM misp_accounts WHERE id = 'default') WHERE subscriber_id = $1",
      [keyed.id],
    );
    await expect(credentials.loadCompanyCredential(keyed.id)).rejects.toMatchObject({
      code: 'VAULT_DECRYPT_FAILED',
    });
  });

  it('should list every *_sealed column of every entity in SEALED_TABLES (boot check and rotation see them all)', () => {
    const sealed = testApp.app
      .get(DataSource)
      .entityMetadatas.flatMap((metadata) =>
        metadata.columns
          .filter((column) => column.databaseName.endsWith('_sealed'))
          .map((column) => `${metadata.tableName}.${column.databaseName}`),
      )
      .sort();
    const listed = SEALED_TABLES.flatMap((table) =>
      table.columns.map(({ column }) => `${table.table}.${column}`),
    ).sort();
    expect(sealed.length).toBeGreaterThanOrEqual(4);
    expect(listed).toEqual(sealed);
  });
});

describe('rotation (V6)', () => {
  it('should re-seal every row under the new active kid, after which the old kid can be removed', async () => {
    const dir = await vaultDirectory();
    try {
      const first = await boot(dir, { VAULT_KEYS: `k1:${K1}` });
      const expected = await seed(first, 20, 'rot');
      await first.app.get(CredentialsService).saveMispLogin({
        email: 'ops@misp.example',
        password: 'misp-password-rot',
        vendorUserId: 9,
        verifiedAt: null,
      });
      await first.close();

      const both = await boot(dir, { VAULT_KEYS: `k1:${K1},k2:${K2}` });
      try {
        const dataSource = both.app.get(DataSource);
        expect(both.app.get(VaultService).activeKeyId).toBe('k2');
        await expectReadable(both, expected);
        // New writes go under the active kid while old rows still open.
        const [someId] = [...expected.keys()];
        await both.app.get(CredentialsService).saveApiKey(someId, 'api-key-rewritten-under-k2', null);
        expected.set(someId, {
          kind: 'api_key',
          apiKey: 'api-key-rewritten-under-k2',
          expiresAt: null,
          status: 'valid',
          invalidReason: null,
        });
        expect(await keyIdCounts(dataSource)).toEqual({ k1: 20, k2: 1 });

        const counts = await both.app.get(VaultRotationService).rotate({ batchSize: 7 });
        expect(counts).toEqual({ activeKeyId: 'k2', scanned: 20, rotated: 20, skipped: 0, failed: 0 });
        expect(await keyIdCounts(dataSource)).toEqual({ k2: 21 });
        const envelopes = await dataSource.query<Record<string, string | null>[]>(
          'SELECT api_key_sealed, access_token_sealed, refresh_token_sealed FROM company_credentials',
        );
        for (const envelope of envelopes
          .flatMap((row) => Object.values(row))
          .filter((value) => value !== null)) {
          expect(envelope.startsWith('v1.k2.')).toBe(true);
        }
        await expectReadable(both, expected);
        // Idempotent: nothing left to do.
        await expect(both.app.get(VaultRotationService).rotate()).resolves.toMatchObject({
          scanned: 0,
          rotated: 0,
        });
      } finally {
        await both.close();
      }

      const onlyK2 = await boot(dir, { VAULT_KEYS: `k2:${K2}` });
      try {
        await expectReadable(onlyK2, expected);
        await expect(onlyK2.app.get(CredentialsService).loadMispLogin()).resolves.toMatchObject({
          password: 'misp-password-rot',
        });
      } finally {
        await onlyK2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should never overwrite a credential saved between its read and its compare-and-swap', async () => {
    const dir = await vaultDirectory();
    try {
      const first = await boot(dir, { VAULT_KEYS: `k1:${K1}` });
      const expected = await seed(first, 2, 'cas');
      await first.close();

      const testApp = await boot(dir, { VAULT_KEYS: `k1:${K1},k2:${K2}` });
      try {
        const rows = testApp.app.get(SealedRowsRepository);
        const table = SEALED_TABLES.find((candidate) => candidate.table === 'company_credentials');
        const [stale] = await rows.findNotUnderKey(table!, 'k2', null, 1);
        // Meanwhile staff save a new key for that company.
        await testApp.app.get(CredentialsService).saveApiKey(stale.id, 'api-key-saved-meanwhile', null);
        const vault = testApp.app.get(VaultService);
        const owner = table!.ownerOf(stale.id);
        const envelopes = Object.fromEntries(
          table!.columns.map(({ column, kind }) => {
            const old = stale.envelopes[column] ?? null;
            return [
              column,
              old === null ? null : vault.seal({ owner, kind }, vault.open({ owner, kind }, old)),
            ];
          }),
        );
        await expect(rows.compareAndSwap(table!, stale, { keyId: 'k2', envelopes })).resolves.toBe(false);
        await expect(
          testApp.app.get(CredentialsService).loadCompanyCredential(stale.id),
        ).resolves.toMatchObject({
          apiKey: 'api-key-saved-meanwhile',
        });
        expect(expected.has(stale.id)).toBe(true);
      } finally {
        await testApp.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should count a row that does not open as failed and leave it alone', async () => {
    const dir = await vaultDirectory();
    try {
      const first = await boot(dir, { VAULT_KEYS: `k1:${K1}` });
      const expected = await seed(first, 3, 'bad');
      const [victim, other] = [...expected.keys()].filter((id) => expected.get(id)?.kind === 'api_key');
      const dataSource = first.app.get(DataSource);
      await dataSource.query(
        'UPDATE company_credentials SET api_key_sealed = (SELECT api_key_sealed FROM company_credentials WHERE subscriber_id = $1) WHERE subscriber_id = $2',
        [other, victim],
      );
      await first.close();

      const testApp = await boot(dir, { VAULT_KEYS: `k1:${K1},k2:${K2}` });
      try {
        await expect(testApp.app.get(VaultRotationService).rotate({ batchSize: 2 })).resolves.toEqual({
          activeKeyId: 'k2',
          scanned: 3,
          rotated: 2,
          skipped: 0,
          failed: 1,
        });
        expect(await keyIdCounts(testApp.app.get(DataSource))).toEqual({ k1: 1, k2: 2 });
      } finally {
        await testApp.close();
      }
      // k1 is still needed by that row, so removing it is refused.
      expect(await bootError(dir, { VAULT_KEYS: `k2:${K2}` })).toContain(
        'key id k1 is used by 1 stored secret row(s) but is not loaded',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface CliRun {
  stdout: () => string;
  stderr: () => string;
  waitFor(pattern: RegExp): Promise<void>;
  kill(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run cli -- <args>` without npm in between (so SIGKILL reaches the process that writes). */
function runCli(args: string[], env: Record<string, string>, cwd: string): CliRun {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'node_modules', 'ts-node', 'register'), join(ROOT, 'src', 'cli.ts'), ...args],
    { cwd, env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env } },
  );
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const waiter of waiters.filter((candidate) => candidate.pattern.test(out))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern) =>
      pattern.test(out)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
            exited.then(() => {
              if (!pattern.test(out)) {
                throw new Error(`cli exited before ${pattern}: ${err}`);
              }
            }),
          ]),
    kill: () => child.kill('SIGKILL'),
    exited,
  };
}

describe('rotation killed in the middle (V6, `npm run cli -- vault:rotate`)', () => {
  it('should finish on re-runs with every row under the active kid, readable, none lost or sealed twice', async () => {
    const dir = await vaultDirectory();
    const rows = 300;
    try {
      const seeded = await boot(dir, { VAULT_KEYS: `k1:${K1}` });
      const expected = await seed(seeded, rows, 'kill');
      await seeded.app.get(CredentialsService).saveMispLogin({
        email: 'ops@misp.example',
        password: 'misp-password-kill',
        vendorUserId: 3,
        verifiedAt: null,
      });
      await seeded.close();
      const total = rows + 1;
      const env = { ...databaseEnv(dir), VAULT_KEYS: `k1:${K1},k2:${K2}`, LOG_LEVEL: 'warn' };

      // Run 1: killed right after its first progress report.
      const killed = runCli(['vault:rotate', '--batch-size', '1'], env, dir);
      await killed.waitFor(/vault:rotate progress/);
      killed.kill();
      expect((await killed.exited).signal).toBe('SIGKILL');
      const afterKill = await withDatabase(dir, keyIdCounts);
      expect(afterKill.k2).toBeGreaterThan(0);
      expect(afterKill.k1).toBeGreaterThan(0);
      expect((afterKill.k1 ?? 0) + (afterKill.k2 ?? 0)).toBe(total);

      // Run 2: killed again once it reports progress (or lets it end, if it is quicker than the kill).
      const again = runCli(['vault:rotate', '--batch-size', '1'], env, dir);
      await again.waitFor(/vault:rotate (progress|done)/);
      again.kill();
      await again.exited;

      // Run 3: to the end.
      const last = runCli(['vault:rotate', '--batch-size', '1'], env, dir);
      const exit = await last.exited;
      expect({ code: exit.code, stderr: last.stderr() }).toEqual({
        code: 0,
        stderr: expect.any(String) as string,
      });
      expect(last.stdout()).toMatch(
        /vault:rotate done activeKeyId=k2 scanned=\d+ rotated=\d+ skipped=0 failed=0/,
      );
      expect(await withDatabase(dir, keyIdCounts)).toEqual({ k2: total });

      // Run 4: nothing left.
      const idle = runCli(['vault:rotate'], env, dir);
      expect((await idle.exited).code).toBe(0);
      expect(idle.stdout()).toContain(
        'vault:rotate done activeKeyId=k2 scanned=0 rotated=0 skipped=0 failed=0',
      );

      // Every value opens to its original (not to an envelope: nothing was sealed twice), with k1 removed.
      const onlyK2 = await boot(dir, { VAULT_KEYS: `k2:${K2}` });
      try {
        await expectReadable(onlyK2, expected);
        await expect(onlyK2.app.get(CredentialsService).loadMispLogin()).resolves.toMatchObject({
          password: 'misp-password-kill',
        });
        const count = await onlyK2.app
          .get(DataSource)
          .query<{ n: number }[]>('SELECT COUNT(*) AS n FROM company_credentials');
        expect(Number(count[0]?.n)).toBe(rows);
      } finally {
        await onlyK2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180000);

  it('should refuse unknown commands and bad flags with exit 1 and the usage', async () => {
    const dir = await vaultDirectory();
    try {
      const env = { ...databaseEnv(dir), VAULT_KEYS: `k1:${K1}` };
      const unknown = runCli(['vault:explode'], env, dir);
      expect((await unknown.exited).code).toBe(1);
      expect(unknown.stderr()).toContain('Unknown command vault:explode');
      expect(unknown.stderr()).toContain('vault:rotate [--batch-size N]');
      const badFlag = runCli(['vault:rotate', '--batch-size', '0'], env, dir);
      expect((await badFlag.exited).code).toBe(1);
      expect(badFlag.stderr()).toContain('--batch-size must be an integer from 1 to 10000');
      // Flags are read before anything boots: no database was created (or, on PostgreSQL, migrated).
      if (ON_POSTGRES) {
        const tables = await withDatabase(dir, (dataSource) =>
          dataSource.query<unknown[]>(
            `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'`,
          ),
        );
        expect(tables).toEqual([]);
      } else {
        expect(existsSync(join(dir, 'tenantry.sqlite'))).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
