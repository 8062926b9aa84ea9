import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import request from 'supertest';
import { DataSource } from 'typeorm';

import { signWebhook } from '../../src/common/standard-webhooks';
import {
  describeOnPostgres,
  type PostgresInstances,
  startPostgresInstances,
  TEST_POSTGRES_URL,
} from '../utils/postgres-instances';
import { eventually } from '../utils/provisioning-fakes';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

type Json = Record<string, unknown>;

const TERMINAL_JOB_STATES = ['succeeded', 'completed_with_errors', 'cancelled', 'failed'];
const HOUR_MS = 60 * 60 * 1000;

describe('signed inbound webhooks (issue 8)', () => {
  let h: VendorHarness;
  let dataSource: DataSource;
  let templateId: string;
  let nextCompany = 0;

  beforeAll(async () => {
    h = await startVendorHarness({
      env: { PROVISIONING_POLL_MS: '20', WEBHOOK_WORKER_POLL_MS: '20', WEBHOOK_BODY_LIMIT: '64kb' },
      emulator: { seed: { subscribers: 30, pendingRequests: 0 } },
    });
    dataSource = h.t.app.get(DataSource);
    templateId = (
      (
        await h.t.http
          .post('/v1/provisioning/templates')
          .send({
            name: 'webhook-onboarding',
            spec: {
              variables: [{ name: 'region', required: true }],
              users: [
                { email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'Op', lastName: 'Erator' },
              ],
              customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: '{{vars.region}}' }],
            },
          })
          .expect(201)
      ).body as { id: string }
    ).id;
  });

  afterAll(async () => {
    await h.close();
  });

  const count = async (table: string, where = '1 = 1', parameters: unknown[] = []): Promise<number> =>
    Number(
      (
        await dataSource.query<{ n: number }[]>(
          `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`,
          parameters,
        )
      )[0].n,
    );
  const nowSeconds = (): number => Math.floor(h.clock.nowMs() / 1000);
  /** A seeded company that Tenantry does not know yet (an onboard event registers it). */
  const unregisteredCompany = (): string => h.emulator.control.subscriberCompanyIds()[nextCompany++];
  /** Vendor creates (users and customers) made for one company since the journal was cleared. */
  const vendorCreates = (companyId: string): number =>
    h.emulator.control
      .journal()
      .filter(
        (entry) =>
          entry.method === 'POST' && entry.companyId === companyId && /users|customer/i.test(entry.url),
      ).length;

  const RULES = (): Json[] => [
    {
      eventType: 'customer.signed_up',
      action: 'onboard',
      templateId,
      subscriber: { ipaasCompanyId: 'data.companyId', name: 'data.name', externalRef: 'data.crmId' },
      vars: { region: 'data.region' },
    },
    {
      eventType: 'customer.reactivated',
      action: 'reapply',
      templateId,
      subscriber: { ipaasCompanyId: 'data.companyId' },
      vars: { region: 'data.region' },
    },
    { eventType: 'customer.cancelled', action: 'offboard', subscriber: { ipaasCompanyId: 'data.companyId' } },
    { eventType: 'customer.check', action: 'health_check', subscriber: { ipaasCompanyId: 'data.companyId' } },
  ];

  const createSource = async (extra: Json = {}): Promise<{ id: string; secret: string; body: Json }> => {
    const response = await h.t.http
      .post('/v1/webhook-sources')
      .send({
        name: `billing-${randomUUID().slice(0, 6)}`,
        rules: RULES(),
        rateLimitPerSecond: 1000,
        ...extra,
      })
      .expect(201);
    const body = response.body as Json & { id: string; secret: string };
    return { id: body.id, secret: body.secret, body };
  };

  const signupBody = (companyId: string, extra: Json = {}): string =>
    JSON.stringify({
      type: 'customer.signed_up',
      data: {
        companyId,
        name: `Company ${companyId.slice(0, 8)}`,
        region: 'eu',
        crmId: `crm-${companyId.slice(0, 8)}`,
        ...extra,
      },
    });

  /** Standard Webhooks headers signed with each of `secrets` (one signature per secret, space-separated). */
  const signedHeaders = (
    secrets: string[],
    body: string,
    options: { id?: string; timestamp?: number } = {},
  ): Record<string, string> => {
    const id = options.id ?? `msg_${randomUUID()}`;
    const timestamp = options.timestamp ?? nowSeconds();
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': secrets.map((secret) => signWebhook(secret, id, timestamp, body)).join(' '),
    };
  };

  const post = (sourceId: string, body: string | Buffer, headers: Record<string, string>): request.Test =>
    request(h.t.server).post(`/v1/webhooks/${sourceId}`).set(headers).send(body);

  const waitForJob = (jobId: string): Promise<Json> =>
    eventually(async () => {
      const job = (await h.t.http.get(`/v1/provisioning/jobs/${jobId}`).expect(200)).body as Json;
      return TERMINAL_JOB_STATES.includes(job.state as string) ? job : undefined;
    }, 20000);

  const eventOf = async (id: string): Promise<Json> =>
    (await h.t.http.get(`/v1/webhooks/events/${id}`).expect(200)).body as Json;

  it('creates a source: the secret is shown once, never again; rules are validated against the templates', async () => {
    const { id, secret, body } = await createSource();
    expect(secret).toMatch(/^whsec_/);
    expect(body).toMatchObject({
      scheme: 'standard_webhooks',
      eventTypeField: 'type',
      enabled: true,
      receiverPath: `/v1/webhooks/${id}`,
    });
    const shown = await h.t.http.get(`/v1/webhook-sources/${id}`).expect(200);
    expect(JSON.stringify(shown.body)).not.toContain(secret.slice(6));
    expect((shown.body as { secrets: Json[] }).secrets).toEqual([
      expect.objectContaining({ id: expect.any(String), retiredAt: null }),
    ]);
    const list = await h.t.http.get('/v1/webhook-sources').expect(200);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6));

    const unknownTemplate = await h.t.http
      .post('/v1/webhook-sources')
      .send({ name: 'x', rules: [{ ...RULES()[0], templateId: randomUUID() }] })
      .expect(400);
    expect((unknownTemplate.body as { errors: Json[] }).errors).toEqual([
      expect.objectContaining({ field: 'rules.0.templateId' }),
    ]);
    await h.t.http
      .post('/v1/webhook-sources')
      .send({ name: 'x', scheme: 'hmac_sha256', rules: RULES() })
      .expect(400);
    await h.t.http
      .post('/v1/webhook-sources')
      .send({
        name: 'x',
        rules: [{ eventType: 'a', action: 'onboard', subscriber: { ipaasCompanyId: 'bad path!' } }],
      })
      .expect(400);
    const viewer = await h.t.as('viewer');
    await viewer.get('/v1/webhook-sources').expect(403);
  });

  it('W4: verifies over the raw bytes (odd key order, \\u escapes, trailing whitespace); the re-serialised body fails', async () => {
    const { id, secret } = await createSource();
    const companyId = unregisteredCompany();
    const raw = `{"data":{"region":"eu","name":"Caf\\u00e9 ${companyId.slice(0, 4)}","companyId":"${companyId}"},   "type":"customer.signed_up"}\n\n  `;
    const accepted = await post(id, raw, signedHeaders([secret], raw)).expect(202);
    const receipt = accepted.body as { eventId: string; status: string; jobId: string };
    // The answer says the job was stored; the event then follows the job.
    expect(receipt).toMatchObject({ status: 'job_created', jobId: expect.any(String) });
    expect((await eventOf(receipt.eventId)).payload).toBe(raw);

    const reserialised = JSON.stringify(JSON.parse(raw));
    const headers = signedHeaders([secret], raw);
    const refused = await post(id, reserialised, headers).expect(401);
    expect(refused.body).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });

    expect(await waitForJob(receipt.jobId)).toMatchObject({ state: 'succeeded' });
    await eventually(async () =>
      (await eventOf(receipt.eventId)).status === 'job_succeeded' ? true : undefined,
    );
    const subscriber = (await h.t.http.get(`/v1/subscribers?q=${companyId}`).expect(200)).body as Json[];
    expect(subscriber).toEqual([
      expect.objectContaining({ ipaasCompanyId: companyId, name: `Café ${companyId.slice(0, 4)}` }),
    ]);
  });

  it('W2: refuses every bad delivery with no event row and no job', async () => {
    const { id, secret } = await createSource();
    const other = await createSource();
    const body = signupBody(unregisteredCompany());
    const [eventsBefore, jobsBefore] = [await count('webhook_events'), await count('provisioning_jobs')];
    const auditBefore = await count('audit_events', 'action LIKE $1', ['%webhook%']);
    const valid = signedHeaders([secret], body);
    const mac = valid['webhook-signature'].slice(3);
    const without = (name: string): Record<string, string> =>
      Object.fromEntries(Object.entries(valid).filter(([key]) => key !== name));
    const cases: [string, string | Buffer, Record<string, string>, number][] = [
      ['no signature', body, without('webhook-signature'), 401],
      ['no id', body, without('webhook-id'), 401],
      ['no timestamp', body, without('webhook-timestamp'), 401],
      ['wrong secret', body, signedHeaders([other.secret], body), 401],
      ['timestamp 301 s old', body, signedHeaders([secret], body, { timestamp: nowSeconds() - 301 }), 401],
      // Ahead, time in flight brings the stamp nearer: 330 s clears the 300 s edge even when the request takes
      // seconds to be served on a loaded machine (the exact ±301 s edge is pinned with a fixed clock in
      // src/common/standard-webhooks.spec.ts and signature-verifier.spec.ts).
      ['timestamp 330 s ahead', body, signedHeaders([secret], body, { timestamp: nowSeconds() + 330 }), 401],
      ['mutated body', body.replace('"eu"', '"us"'), valid, 401],
      ['one extra space', `${body} `, valid, 401],
      ['re-serialised JSON', JSON.stringify(JSON.parse(body), null, 1), valid, 401],
      ['unknown version prefix', body, { ...valid, 'webhook-signature': `v2,${mac}` }, 401],
      ['truncated signature', body, { ...valid, 'webhook-signature': `v1,${mac.slice(0, 20)}` }, 401],
      ['empty signature list', body, { ...valid, 'webhook-signature': ' ' }, 401],
      [
        'signature header over 8 KB',
        body,
        { ...valid, 'webhook-signature': `${valid['webhook-signature']} v1,${'A'.repeat(8300)}` },
        401,
      ],
      ['non-numeric timestamp', body, { ...valid, 'webhook-timestamp': `${nowSeconds()}abc` }, 401],
      ['body over the limit', Buffer.alloc(70 * 1024, 0x20), valid, 413],
    ];
    for (const [name, sent, headers, status] of cases) {
      const response = await post(id, sent, headers);
      expect({ name, status: response.status }).toEqual({ name, status });
      expect(response.headers['content-type']).toContain('application/problem+json');
      if (status === 401) {
        expect(response.body).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
        expect(JSON.stringify(response.body)).not.toContain(secret.slice(6));
      }
    }
    await post(randomUUID(), body, valid).expect(404);
    // Refusals write nothing at all: no event, no job, not even an audit row (metrics count them).
    expect(await count('audit_events', 'action LIKE $1', ['%webhook%'])).toBe(auditBefore);
    await post(id, body, valid).expect(202);
    expect(await count('webhook_events')).toBe(eventsBefore + 1);
    expect(await count('provisioning_jobs')).toBe(jobsBefore + 1);
  });

  it('422: a payload the rules cannot use is refused and nothing is stored', async () => {
    const { id, secret } = await createSource();
    const [eventsBefore, jobsBefore] = [await count('webhook_events'), await count('provisioning_jobs')];
    const unusable = [
      'not json',
      JSON.stringify({ type: 'customer.unknown', data: { companyId: 'co-1' } }),
      JSON.stringify({ type: 'customer.signed_up', data: { name: 'No id', region: 'eu' } }),
      JSON.stringify({ type: 'customer.signed_up', data: { companyId: 'bad id!', name: 'x', region: 'eu' } }),
      // The template needs a region.
      JSON.stringify({ type: 'customer.signed_up', data: { companyId: 'co-new-1', name: 'x' } }),
      // A re-apply or offboard needs a registered company.
      JSON.stringify({ type: 'customer.cancelled', data: { companyId: 'co-never-registered' } }),
    ];
    for (const body of unusable) {
      const response = await post(id, body, signedHeaders([secret], body)).expect(422);
      expect(response.body).toMatchObject({ code: 'WEBHOOK_PAYLOAD_UNUSABLE' });
    }
    expect(await count('webhook_events')).toBe(eventsBefore);
    expect(await count('provisioning_jobs')).toBe(jobsBefore);
    expect(await count('subscribers', 'ipaas_company_id = $1', ['co-new-1'])).toBe(0);
  });

  it('W5: rotation accepts old, new and both; after retiring the old one, old-only is refused', async () => {
    const { id, secret: old } = await createSource();
    const added = (await h.t.http.post(`/v1/webhook-sources/${id}/secrets`).expect(201)).body as {
      id: string;
      secret: string;
    };
    const fresh = added.secret;
    const deliver = (secrets: string[]) => {
      const body = signupBody(unregisteredCompany());
      return post(id, body, signedHeaders(secrets, body));
    };
    await deliver([old]).expect(202);
    await deliver([fresh]).expect(202);
    await deliver([old, fresh]).expect(202);
    const oldSecretId = (
      (await h.t.http.get(`/v1/webhook-sources/${id}`).expect(200)).body as { secrets: { id: string }[] }
    ).secrets.find((secret) => secret.id !== added.id)?.id as string;
    await h.t.http.delete(`/v1/webhook-sources/${id}/secrets/${oldSecretId}`).expect(204);
    await deliver([old]).expect(401);
    await deliver([fresh]).expect(202);
    const last = await h.t.http.delete(`/v1/webhook-sources/${id}/secrets/${added.id}`).expect(409);
    expect(last.body).toMatchObject({ code: 'CONFLICT' });
  });

  it('W7: 50 concurrent + 50 sequential deliveries of one event → 100 × 2xx, one event, one job, one vendor create each', async () => {
    const { id, secret } = await createSource();
    const companyId = unregisteredCompany();
    const body = signupBody(companyId);
    const headers = signedHeaders([secret], body);
    h.emulator.control.clearJournal();
    const [eventsBefore, jobsBefore] = [await count('webhook_events'), await count('provisioning_jobs')];
    const deliveries = async (): Promise<Record<string, number>> => {
      const text = (await request(h.t.server).get('/metrics').expect(200)).text;
      return Object.fromEntries(
        [...text.matchAll(/^tenantry_webhook_deliveries_total\{outcome="(\w+)"\} (\d+)$/gm)].map((match) => [
          match[1],
          Number(match[2]),
        ]),
      );
    };
    const deliveriesBefore = await deliveries();
    const concurrent = await Promise.all(Array.from({ length: 50 }, () => post(id, body, headers)));
    const sequential: request.Response[] = [];
    for (let index = 0; index < 50; index += 1) {
      sequential.push(await post(id, body, headers));
    }
    const responses = [...concurrent, ...sequential];
    expect(responses.filter((response) => response.status === 202)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 200)).toHaveLength(99);
    const receipts = responses.map((response) => response.body as { eventId: string; jobId: string });
    expect(new Set(receipts.map((receipt) => receipt.eventId)).size).toBe(1);
    expect(new Set(receipts.map((receipt) => receipt.jobId)).size).toBe(1);
    expect(await count('webhook_events')).toBe(eventsBefore + 1);
    expect(await count('provisioning_jobs')).toBe(jobsBefore + 1);
    expect(await waitForJob(receipts[0].jobId)).toMatchObject({ state: 'succeeded' });
    // One user and one customer: each created exactly once at the vendor.
    expect(vendorCreates(companyId)).toBe(2);
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);

    // A second, distinct event for the same (now registered) company re-applies nothing twice.
    const again = signupBody(companyId);
    const second = (await post(id, again, signedHeaders([secret], again)).expect(202)).body as {
      jobId: string;
    };
    expect(second.jobId).not.toBe(receipts[0].jobId);
    expect(await waitForJob(second.jobId)).toMatchObject({ state: 'succeeded' });
    expect(vendorCreates(companyId)).toBe(2);
    expect(await count('subscribers', 'ipaas_company_id = $1', [companyId])).toBe(1);
    const subscriber = (await h.t.http.get(`/v1/subscribers?q=${companyId}`).expect(200)).body as Json[];
    expect(subscriber[0]).toMatchObject({ externalRef: `crm-${companyId.slice(0, 8)}` });

    // Labels carry outcomes only, never a source id (unbounded series).
    const deliveriesAfter = await deliveries();
    expect((deliveriesAfter.accepted ?? 0) - (deliveriesBefore.accepted ?? 0)).toBe(2);
    expect((deliveriesAfter.duplicate ?? 0) - (deliveriesBefore.duplicate ?? 0)).toBe(99);
    const metrics = (await request(h.t.server).get('/metrics').expect(200)).text;
    expect(metrics).not.toContain(id);
    expect(metrics).toContain('tenantry_webhook_ack_seconds_bucket');
    const audit = (await h.t.http.get('/v1/audit?action=webhook.accepted&pageSize=500').expect(200))
      .body as Json[];
    expect(audit.filter((row) => row.actorKind === 'webhook' && row.actorId === id)).toHaveLength(2);
  });

  it('rate limit: a source over its limit gets 429 with Retry-After, and nothing is stored', async () => {
    const { id, secret } = await createSource({ rateLimitPerSecond: 1 });
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let index = 0; index < 4; index += 1) {
      const body = signupBody(unregisteredCompany());
      const response = await post(id, body, signedHeaders([secret], body));
      statuses.push(response.status);
      retryAfter = retryAfter ?? response.headers['retry-after'];
    }
    // Bursts of twice the rate pass; then the bucket is empty.
    expect(statuses.slice(0, 2)).toEqual([202, 202]);
    expect(statuses.slice(2)).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await count('webhook_events', 'source_id = $1', [id])).toBe(
      statuses.filter((s) => s === 202).length,
    );
  });

  it('health_check and offboard events are run by the worker; replay re-runs an event; the list pages', async () => {
    const { id, secret } = await createSource();
    const company = await h.register(29);
    const deliver = async (type: string): Promise<{ eventId: string; status: string }> => {
      const body = JSON.stringify({ type, data: { companyId: company.ipaasCompanyId } });
      return (await post(id, body, signedHeaders([secret], body)).expect(202)).body as {
        eventId: string;
        status: string;
      };
    };
    const check = await deliver('customer.check');
    expect(check.status).toBe('accepted');
    const checked = await eventually(async () => {
      const event = await eventOf(check.eventId);
      return event.status === 'succeeded' || event.status === 'failed' ? event : undefined;
    });
    expect(checked).toMatchObject({ status: 'succeeded', subscriberId: company.id, action: 'health_check' });
    const results = (await h.t.http.get(`/v1/subscribers/${company.id}/health-checks`).expect(200))
      .body as Json[];
    expect(results.length).toBeGreaterThanOrEqual(1);

    // Replay (admin): the health check runs again; an event being processed cannot be replayed.
    const viewer = await h.t.as('viewer');
    await viewer.post(`/v1/webhooks/events/${check.eventId}/replay`).expect(403);
    const replayed = (await h.t.http.post(`/v1/webhooks/events/${check.eventId}/replay`).expect(200))
      .body as Json;
    expect(replayed).toMatchObject({ replays: 1 });
    await eventually(async () => ((await eventOf(check.eventId)).status === 'succeeded' ? true : undefined));
    expect(
      ((await h.t.http.get(`/v1/subscribers/${company.id}/health-checks`).expect(200)).body as Json[]).length,
    ).toBeGreaterThan(results.length);
    const offboard = await deliver('customer.cancelled');
    await eventually(async () =>
      (await eventOf(offboard.eventId)).status === 'succeeded' ? true : undefined,
    );
    expect((await h.t.http.get(`/v1/subscribers/${company.id}`).expect(200)).body).toMatchObject({
      status: 'offboarded',
    });

    await dataSource.query(`UPDATE webhook_events SET status = 'processing' WHERE id = $1`, [check.eventId]);
    await h.t.http.post(`/v1/webhooks/events/${check.eventId}/replay`).expect(409);
    await dataSource.query(`UPDATE webhook_events SET status = 'succeeded' WHERE id = $1`, [check.eventId]);

    const list = await viewer
      .get(`/v1/webhooks/events?sourceId=${id}&status=succeeded&pageSize=1`)
      .expect(200);
    expect(JSON.parse(list.headers['x-pagination'])).toMatchObject({
      total_Count: 2,
      page_Size: 1,
    });
    expect((list.body as Json[])[0]).not.toHaveProperty('payload');
    const audit = (await h.t.http.get('/v1/audit?action=webhook-event.replay').expect(200)).body as Json[];
    // The viewer's 403, the admin's replay and the 409.
    expect(audit.map((row) => row.outcome).sort()).toEqual(['failure', 'failure', 'success']);
  });

  it('replays an onboard event under a new idempotency key: a new job, nothing created twice at the vendor', async () => {
    const { id, secret } = await createSource();
    const companyId = unregisteredCompany();
    h.emulator.control.clearJournal();
    const body = signupBody(companyId);
    const first = (await post(id, body, signedHeaders([secret], body)).expect(202)).body as {
      eventId: string;
      jobId: string;
    };
    await waitForJob(first.jobId);
    const replayed = (await h.t.http.post(`/v1/webhooks/events/${first.eventId}/replay`).expect(200))
      .body as Json;
    expect(replayed).toMatchObject({ replays: 1, status: 'job_created' });
    expect(replayed.jobId).not.toBe(first.jobId);
    expect(await waitForJob(replayed.jobId as string)).toMatchObject({ state: 'succeeded' });
    expect(vendorCreates(companyId)).toBe(2);
  });

  it('the worker submits the job of an onboard event whose submission was lost (a crash after the insert)', async () => {
    const { id } = await createSource();
    const companyId = unregisteredCompany();
    const eventId = randomUUID();
    await dataSource.query(
      `INSERT INTO webhook_events (id, source_id, webhook_id, event_type, action, status, payload, received_at, replays)
       VALUES ($1, $2, 'evt_lost', 'customer.signed_up', 'onboard', 'accepted', $3, $4, 0)`,
      [eventId, id, signupBody(companyId), h.clock.nowMs()],
    );
    h.emulator.control.advanceClock(61 * 1000);
    const event = await eventually(async () => {
      const current = await eventOf(eventId);
      return current.status === 'job_created' || current.status === 'job_succeeded' ? current : undefined;
    });
    expect(await waitForJob(event.jobId as string)).toMatchObject({ state: 'succeeded' });
    expect(await count('subscribers', 'ipaas_company_id = $1', [companyId])).toBe(1);
  });

  it('W10: a flood of 10,000 unsigned or badly signed requests writes nothing; valid deliveries in it succeed', async () => {
    const { id, secret } = await createSource();
    // Audit rows: the refusals' (none expected) and the accepted events'; the jobs' own vendor calls audit too.
    const counts = () =>
      Promise.all([
        count('webhook_events'),
        count('provisioning_jobs'),
        count('audit_events', `outcome = 'failure'`),
        count('audit_events', `action = 'webhook.accepted'`),
      ]);
    const before = await counts();
    await h.t.app.listen(0, '127.0.0.1');
    const { port } = (h.t.server as unknown as Server).address() as AddressInfo;
    const junkBody = signupBody(unregisteredCompany());
    const junk = [
      { 'content-type': 'application/json' },
      signedHeaders(['whsec_' + Buffer.alloc(32, 7).toString('base64')], junkBody),
      { ...signedHeaders([secret], junkBody), 'webhook-signature': 'v1,AAAA' },
    ];
    const validIds: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let index = next++; index < 10_000; index = next++) {
          // One valid delivery every 1,000 requests, interleaved with the junk.
          const isValid = index % 1000 === 500;
          const body = isValid ? signupBody(unregisteredCompany()) : junkBody;
          const headers = isValid ? signedHeaders([secret], body) : junk[index % junk.length];
          const response = await fetch(`http://127.0.0.1:${port}/v1/webhooks/${id}`, {
            method: 'POST',
            headers,
            body,
          });
          await response.arrayBuffer();
          if (isValid) {
            validIds.push(String(response.status));
          } else {
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          }
        }
      }),
    );
    expect(validIds).toEqual(new Array<string>(10).fill('202'));
    expect([...statuses.entries()]).toEqual([[401, 9990]]);
    // The accepted events' audit rows are written in groups after the 202, not before it.
    const after = await eventually(async () => {
      const now = await counts();
      return now[3] - before[3] >= 10 ? now : undefined;
    });
    // Only the 10 valid deliveries wrote: one event, one job and one audit row each; no refusal wrote anything.
    expect(after.map((value, index) => value - before[index])).toEqual([10, 10, 0, 10]);
  }, 180_000);

  // Last: it moves the shared clock 72 hours forward.
  it('W8: the same id 72 h later with a fresh timestamp → 200 and no new job; the original bytes 301 s later → 401', async () => {
    const { id, secret } = await createSource();
    const body = signupBody(unregisteredCompany());
    const webhookId = `msg_${randomUUID()}`;
    const original = signedHeaders([secret], body, { id: webhookId });
    const first = (await post(id, body, original).expect(202)).body as { eventId: string; jobId: string };
    expect(await waitForJob(first.jobId)).toMatchObject({ state: 'succeeded' });
    const jobs = await count('provisioning_jobs');
    h.emulator.control.advanceClock(301 * 1000);
    await post(id, body, original).expect(401);
    h.emulator.control.advanceClock(72 * HOUR_MS);
    const retried = await post(id, body, signedHeaders([secret], body, { id: webhookId })).expect(200);
    // The first delivery's outcome, as it stands now: its job has long ended.
    expect(retried.body).toEqual({ eventId: first.eventId, status: 'job_succeeded', jobId: first.jobId });
    expect(await count('provisioning_jobs')).toBe(jobs);
  });
});

describe('webhook dedupe retention', () => {
  let h: VendorHarness;

  beforeAll(async () => {
    h = await startVendorHarness({ env: { WEBHOOK_WORKER_POLL_MS: '20' } });
  });

  afterAll(() => h.close());

  it('keeps events for the dedupe window (7 days) and prunes older ones once a day', async () => {
    const dataSource = h.t.app.get(DataSource);
    const source = (
      await h.t.http
        .post('/v1/webhook-sources')
        .send({
          name: 'retention',
          rules: [{ eventType: 'x', action: 'health_check', subscriber: { ipaasCompanyId: 'companyId' } }],
        })
        .expect(201)
    ).body as { id: string };
    const day = 24 * HOUR_MS;
    const insert = (id: string, ageMs: number) =>
      dataSource.query(
        `INSERT INTO webhook_events (id, source_id, webhook_id, event_type, action, status, payload, received_at, replays)
         VALUES ($1, $2, $3, 'x', 'health_check', 'succeeded', '{}', $4, 0)`,
        [id, source.id, `evt_${id}`, h.clock.nowMs() - ageMs],
      );
    const [recent, old] = [randomUUID(), randomUUID()];
    // Ages as they will be after the clock moves a day forward: 7 days less an hour, and 8 days.
    await insert(recent, 6 * day - HOUR_MS);
    await insert(old, 7 * day);
    h.emulator.control.advanceClock(day + 1000);
    await eventually(async () => {
      const rows = await dataSource.query<{ id: string }[]>(
        'SELECT id FROM webhook_events WHERE id IN ($1, $2)',
        [recent, old],
      );
      return rows.length === 1 ? rows : undefined;
    }).then((rows) => expect(rows).toEqual([{ id: recent }]));
  });
});

describeOnPostgres('webhooks: duplicate storm')('signed inbound webhooks on PostgreSQL', () => {
  let h: VendorHarness;
  let pg: PostgresInstances;

  beforeAll(async () => {
    pg = await startPostgresInstances('tenantry_webhooks_e2e', 1);
    h = await startVendorHarness({
      env: {
        DATABASE_URL: (TEST_POSTGRES_URL ?? '').replace(/\/[^/]*$/, '/tenantry_webhooks_e2e'),
        PROVISIONING_POLL_MS: '20',
      },
    });
  });

  afterAll(async () => {
    await h.close();
    await pg.close();
  });

  it('W7: 50 concurrent + 50 sequential deliveries → one event row, one job, one vendor create each', async () => {
    const companyId = h.emulator.control.subscriberCompanyIds()[0];
    const template = await h.t.http
      .post('/v1/provisioning/templates')
      .send({
        name: 'pg-onboarding',
        spec: { users: [{ email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'O', lastName: 'P' }] },
      })
      .expect(201);
    const source = (
      await h.t.http
        .post('/v1/webhook-sources')
        .send({
          name: 'pg billing',
          rateLimitPerSecond: 1000,
          rules: [
            {
              eventType: 'signed_up',
              action: 'onboard',
              templateId: (template.body as { id: string }).id,
              subscriber: { ipaasCompanyId: 'companyId', name: 'name' },
            },
          ],
        })
        .expect(201)
    ).body as { id: string; secret: string };
    const body = JSON.stringify({ type: 'signed_up', companyId, name: 'PG Company' });
    const timestamp = Math.floor(h.clock.nowMs() / 1000);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'evt_pg_storm',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(source.secret, 'evt_pg_storm', timestamp, body),
    };
    const send = () => request(h.t.server).post(`/v1/webhooks/${source.id}`).set(headers).send(body);
    const responses = await Promise.all(Array.from({ length: 50 }, send));
    for (let index = 0; index < 50; index += 1) {
      responses.push(await send());
    }
    expect(responses.filter((response) => response.status === 202)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 200)).toHaveLength(99);
    const [database] = pg.instances;
    const rows = async (table: string) =>
      Number((await database.query<{ n: string }[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    expect(await rows('webhook_events')).toBe(1);
    expect(await rows('provisioning_jobs')).toBe(1);
    const { jobId } = responses.find((response) => response.status === 202)?.body as { jobId: string };
    await eventually(async () => {
      const job = (await h.t.http.get(`/v1/provisioning/jobs/${jobId}`).expect(200)).body as Json;
      return TERMINAL_JOB_STATES.includes(job.state as string) ? job : undefined;
    }, 20000);
    expect(
      h.emulator.control
        .journal()
        .filter(
          (entry) => entry.method === 'POST' && entry.companyId === companyId && /users/i.test(entry.url),
        ),
    ).toHaveLength(1);
  });
});
