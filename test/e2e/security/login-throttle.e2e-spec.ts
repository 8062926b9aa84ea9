import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { DataSource } from 'typeorm';

import { LoginFailuresRepository } from '../../../src/auth/login-failures.repository';
import { OffsetClock } from '../../../src/common/time/clock';
import { startTestApp, TEST_ADMIN, type TestApp } from '../../utils/test-app';

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

// 100 sign-ins at once, 50 of them checking a password (scrypt): generous, the machine may be busy.
jest.setTimeout(180_000);

/** Makes the app listen on loopback, so requests can come from other loopback addresses (127.0.0.x). */
async function listen(t: TestApp): Promise<number> {
  const server = t.server as http.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** POST /v1/auth/login from `from` (a local address), on a fresh connection. */
function loginFrom(port: number, from: string, email: string, password: string): Promise<Answer> {
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const call = http.request(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        method: 'POST',
        path: '/v1/auth/login',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }),
        );
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

/** The password checks the app has made so far (its Prometheus counter, read through GET /metrics). */
async function passwordChecks(t: TestApp): Promise<number> {
  const text = (await t.http.get('/metrics').expect(200)).text;
  return [...text.matchAll(/^tenantry_login_password_checks_total\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

function countBy(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) {
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/**
 * Issue 15 item 4. Before the fix the throttle read the counter, checked the password, then counted: 40
 * guesses at once against one account were all checked (limit 5), 89 failures got through from one address
 * (limit 50), and 5 wrong passwords from anywhere locked the owner out everywhere.
 */
describe('login throttling under concurrency', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    // The defaults: 5 per account and address, 100 per account, 50 per address, 15-minute window and lockout.
    t = await startTestApp();
    port = await listen(t);
    await t.http
      .post('/v1/staff')
      .send({ email: 'target@misp.example', name: 'Target', role: 'viewer', password: 'target-password-1' })
      .expect(201);
  });

  afterAll(async () => {
    await t.close();
  });

  it('checks at most 5 passwords of one account from one address when 100 guesses arrive at once', async () => {
    const before = await passwordChecks(t);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_unused, index) =>
        loginFrom(port, '127.0.0.2', 'target@misp.example', `wrong-password-${index}`),
      ),
    );
    expect(await passwordChecks(t)).toBe(before + 5);
    expect(countBy(answers)).toEqual({ 401: 5, 429: 95 });
    expect(answers.filter((answer) => answer.status === 429).every((answer) => answer.retryAfter)).toBe(true);

    // The attacker's address is locked out of that account, even with the right password…
    expect((await loginFrom(port, '127.0.0.2', 'target@misp.example', 'target-password-1')).status).toBe(429);
    // …the owner signing in from elsewhere is not.
    expect((await loginFrom(port, '127.0.0.3', 'target@misp.example', 'target-password-1')).status).toBe(200);
  });

  it('checks at most 50 passwords from one address when 100 guesses at different accounts arrive at once', async () => {
    const before = await passwordChecks(t);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_unused, index) =>
        loginFrom(port, '127.0.0.4', `sprayed-${index}@misp.example`, 'password-spray-1'),
      ),
    );
    expect(await passwordChecks(t)).toBe(before + 50);
    expect(countBy(answers)).toEqual({ 401: 50, 429: 50 });
    // That address is locked out; others are not.
    expect((await loginFrom(port, '127.0.0.4', TEST_ADMIN.email, TEST_ADMIN.password)).status).toBe(429);
    expect((await loginFrom(port, '127.0.0.5', TEST_ADMIN.email, TEST_ADMIN.password)).status).toBe(200);
  });
});

describe('login throttling: the account-wide ceiling and pruning', () => {
  it('locks an account everywhere once guesses from several addresses reach its ceiling, until the lockout passes', async () => {
    const frozenAt = Date.now();
    const clock = new OffsetClock(() => frozenAt);
    const t = await startTestApp(
      {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '2',
        LOGIN_ACCOUNT_FAILURE_CEILING: '4',
        LOGIN_LOCKOUT_SECONDS: '60',
      },
      { clock },
    );
    try {
      const port = await listen(t);
      for (const from of ['127.0.0.2', '127.0.0.3']) {
        for (const attempt of [1, 2]) {
          expect((await loginFrom(port, from, TEST_ADMIN.email, `wrong-${attempt}`)).status).toBe(401);
        }
      }
      const locked = await loginFrom(port, '127.0.0.4', TEST_ADMIN.email, TEST_ADMIN.password);
      expect(locked).toEqual({ status: 429, retryAfter: '60' });
      clock.advance(60_000);
      expect((await loginFrom(port, '127.0.0.4', TEST_ADMIN.email, TEST_ADMIN.password)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('deletes counters whose window and lockout are over', async () => {
    const clock = new OffsetClock();
    const t = await startTestApp(
      {
        LOGIN_FAILURE_WINDOW_SECONDS: '60',
        LOGIN_LOCKOUT_SECONDS: '60',
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '1',
      },
      { clock },
    );
    try {
      const port = await listen(t);
      const keys = async (): Promise<string[]> =>
        (
          await t.app
            .get(DataSource)
            .query<{ key: string }[]>('SELECT "key" FROM login_failures ORDER BY "key"')
        ).map((row) => row.key);
      await loginFrom(port, '127.0.0.2', 'old-1@misp.example', 'wrong-password');
      await loginFrom(port, '127.0.0.3', 'old-2@misp.example', 'wrong-password');
      expect(await keys()).toEqual(
        expect.arrayContaining([
          'ip:127.0.0.2',
          'account-ip:127.0.0.3:old-2@misp.example',
          'account:old-1@misp.example',
        ]),
      );

      // Past the window and the lockout, and past the prune interval (10 minutes): the next sign-in prunes.
      clock.advance(11 * 60_000);
      await loginFrom(port, '127.0.0.4', 'new@misp.example', 'wrong-password');
      expect(await keys()).toEqual([
        'account-ip:127.0.0.4:new@misp.example',
        'account:new@misp.example',
        'ip:127.0.0.4',
      ]);
    } finally {
      await t.close();
    }
  });
});

describe("login throttle counters (the statements, on this run's database)", () => {
  let t: TestApp;
  let repository: LoginFailuresRepository;
  const rule = { maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000 };
  const T0 = 1_900_000_000_000;

  beforeAll(async () => {
    t = await startTestApp();
    repository = t.app.get(LoginFailuresRepository);
  });

  afterAll(async () => {
    await t.close();
  });

  it('takes at most maxFailures slots at once; a released slot can be taken again, a failure cannot', async () => {
    const key = 'test:slots';
    const taken = await Promise.all(Array.from({ length: 10 }, () => repository.reserve(key, rule, T0)));
    expect(taken.filter(Boolean)).toHaveLength(3);
    await repository.release(key);
    expect(await repository.reserve(key, rule, T0 + 1)).toBe(true);
    await repository.recordFailure(key, rule, T0 + 2);
    expect(await repository.reserve(key, rule, T0 + 3)).toBe(false);
    expect(await repository.find(key)).toEqual({
      failures: 1,
      pending: 2,
      windowStartedAt: T0,
      blockedUntil: null,
    });
  });

  it('locks out on the failure that reaches the limit, for the lockout, then needs a full new series', async () => {
    const key = 'test:lockout';
    for (const at of [T0, T0 + 1, T0 + 2]) {
      expect(await repository.reserve(key, rule, at)).toBe(true);
      await repository.recordFailure(key, rule, at);
    }
    expect(await repository.find(key)).toEqual({
      failures: 0,
      pending: 0,
      windowStartedAt: T0 + 2,
      blockedUntil: T0 + 2 + rule.lockoutMs,
    });
    expect(await repository.reserve(key, rule, T0 + 299_999)).toBe(false);
    expect(await repository.reserve(key, rule, T0 + 2 + rule.lockoutMs)).toBe(true);
  });

  it('starts a new window once the old one is over, dropping slots a crashed check left taken', async () => {
    const key = 'test:window';
    for (let index = 0; index < 3; index += 1) {
      expect(await repository.reserve(key, rule, T0)).toBe(true);
    }
    // Nobody ever releases them (the process died mid-check): full until the window ends.
    expect(await repository.reserve(key, rule, T0 + 59_999)).toBe(false);
    expect(await repository.reserve(key, rule, T0 + 60_000)).toBe(true);
    expect(await repository.find(key)).toMatchObject({
      failures: 0,
      pending: 1,
      windowStartedAt: T0 + 60_000,
    });
  });

  it('forgets the failures of a key on a success that asks for it, and never counts a slot below zero', async () => {
    const key = 'test:success';
    expect(await repository.reserve(key, rule, T0)).toBe(true);
    await repository.recordFailure(key, rule, T0);
    expect(await repository.reserve(key, rule, T0 + 1)).toBe(true);
    await repository.release(key, true);
    await repository.release(key);
    expect(await repository.find(key)).toMatchObject({ failures: 0, pending: 0 });
  });
});
