import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { OffsetClock } from '../../src/common/time/clock';
import { SandboxCompanies } from '../utils/sandbox-companies';
import { startTestApp, type TestApp } from '../utils/test-app';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

/** J6: Stripe-style Idempotency-Key on POST /v1/provisioning/jobs (workers off: jobs stay pending). */
describe('Idempotency-Key on job submission', () => {
  let t: TestApp;
  let clock: OffsetClock;
  let dataSource: DataSource;
  let templateId: string;

  const jobCount = async (): Promise<number> =>
    Number((await dataSource.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM provisioning_jobs'))[0].n);
  let companies: SandboxCompanies;
  const body = (companyId = companies.next()) => ({
    templateId,
    mode: 'apply',
    subscribers: [{ ipaasCompanyId: companyId, name: `Company ${companyId}` }],
  });

  beforeAll(async () => {
    clock = new OffsetClock();
    t = await startTestApp({ PROVISIONING_CONCURRENCY: '0' }, { clock });
    companies = await SandboxCompanies.of(t);
    dataSource = t.app.get(DataSource);
    const template = await t.http
      .post('/v1/provisioning/templates')
      .send({
        name: 'idempotency',
        spec: { customers: [{ email: 'c@example.test', firstName: 'C', lastName: 'D' }] },
      })
      .expect(201);
    templateId = template.body.id as string;
  });

  afterAll(async () => {
    await t.close();
  });

  it('replays the first response for the same key and body (Idempotent-Replayed: true): one job', async () => {
    const key = randomUUID();
    const request = body();
    const before = await jobCount();
    const first = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(request)
      .expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(request)
      .expect(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await jobCount()).toBe(before + 1);
  });

  it('refuses the same key with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing stored', async () => {
    const key = randomUUID();
    await t.http.post('/v1/provisioning/jobs').set('Idempotency-Key', key).send(body()).expect(201);
    const before = await jobCount();
    const reused = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(body())
      .expect(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await jobCount()).toBe(before);
  });

  it('20 identical requests in parallel make one job; the others replay it or get 409 in progress', async () => {
    const key = randomUUID();
    const request = body();
    const before = await jobCount();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http.post('/v1/provisioning/jobs').set('Idempotency-Key', key).send(request),
      ),
    );
    const executed = responses.filter(
      (response) => response.status === 201 && !response.headers['idempotent-replayed'],
    );
    const replayed = responses.filter((response) => response.headers['idempotent-replayed'] === 'true');
    const inProgress = responses.filter((response) => response.status === 409);
    expect(executed).toHaveLength(1);
    expect(replayed.length + inProgress.length).toBe(19);
    expect(inProgress.every((response) => response.body.code === 'IDEMPOTENCY_KEY_IN_USE')).toBe(true);
    expect(new Set(replayed.map((response) => (response.body as { id: string }).id))).toEqual(
      new Set([executed[0].body.id]),
    );
    expect(await jobCount()).toBe(before + 1);
  });

  it('scopes keys per caller: another API key with the same key gets its own job', async () => {
    const key = randomUUID();
    const request = body();
    const mine = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(request)
      .expect(201);
    const operator = await t.as('operator');
    // The same company may not be registered twice, so the other caller names it by its new subscriber id.
    const theirs = await operator
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send({
        templateId,
        mode: 'apply',
        subscribers: [{ ipaasCompanyId: request.subscribers[0].ipaasCompanyId }],
      })
      .expect(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('stores nothing for a request that fails validation: the key then serves a valid request', async () => {
    const key = randomUUID();
    await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send({ templateId, mode: 'apply', subscribers: [{ ipaasCompanyId: 'no-name-given' }] })
      .expect(400);
    const valid = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(body())
      .expect(201);
    expect(valid.headers['idempotent-replayed']).toBeUndefined();
  });

  it('refuses a malformed key with a 400 naming the header', async () => {
    const response = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', 'k'.repeat(256))
      .send(body())
      .expect(400);
    expect(response.body.errors).toEqual([
      { field: 'Idempotency-Key', message: expect.any(String) as string },
    ]);
  });

  it('honours a key at 23 h 59 m and forgets it after 24 h (by the Clock)', async () => {
    const key = randomUUID();
    const request = body();
    const first = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(request)
      .expect(201);

    clock.advance(23 * HOUR + 59 * MINUTE);
    const replay = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(request)
      .expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    await t.http.post('/v1/provisioning/jobs').set('Idempotency-Key', key).send(body()).expect(422);

    clock.advance(MINUTE + 1);
    const stored = async () =>
      dataSource.query<{ fingerprint: string }[]>(
        'SELECT fingerprint FROM idempotency_keys WHERE idempotency_key = $1',
        [key],
      );
    const [before] = await stored();
    // Pruned: the same key now stands for a new request, executed afresh.
    const fresh = await t.http
      .post('/v1/provisioning/jobs')
      .set('Idempotency-Key', key)
      .send(body())
      .expect(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(fresh.body.id).not.toBe(first.body.id);
    const after = await stored();
    expect(after).toHaveLength(1);
    expect(after[0].fingerprint).not.toBe(before.fingerprint);
    // Expired keys of every caller are deleted, not only the one reused.
    const expired = await dataSource.query<{ n: number }[]>(
      'SELECT COUNT(*) AS n FROM idempotency_keys WHERE expires_at <= $1',
      [clock.nowMs()],
    );
    expect(Number(expired[0].n)).toBe(0);
  });
});
