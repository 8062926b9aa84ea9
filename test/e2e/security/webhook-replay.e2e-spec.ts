import { createHmac, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import request from 'supertest';
import { DataSource } from 'typeorm';

import { signWebhook } from '../../../src/common/standard-webhooks';
import { startVendorHarness, type VendorHarness } from '../../utils/vendor-harness';

type Json = Record<string, unknown>;

/**
 * Issue 15, items 5 and 6: HMAC deliveries cannot be replayed under a new id header; the signature is
 * checked over the bytes received (no inflation); the receiver route is matched exactly as the router
 * matches it; Svix header names are accepted.
 */
describe('webhook replay and raw-bytes hardening (issue 15)', () => {
  let h: VendorHarness;
  let dataSource: DataSource;
  let templateId: string;
  let nextCompany = 0;

  beforeAll(async () => {
    h = await startVendorHarness({
      env: { PROVISIONING_POLL_MS: '20', WEBHOOK_WORKER_POLL_MS: '20' },
      emulator: { seed: { subscribers: 20, pendingRequests: 0 } },
    });
    dataSource = h.t.app.get(DataSource);
    const template = await h.t.http
      .post('/v1/provisioning/templates')
      .send({
        name: 'replay-onboarding',
        spec: { customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: 'Buyer' }] },
      })
      .expect(201);
    templateId = (template.body as { id: string }).id;
  });

  afterAll(async () => {
    await h.close();
  });

  const rules = (): Json[] => [
    {
      eventType: 'customer.signed_up',
      action: 'onboard',
      templateId,
      subscriber: { ipaasCompanyId: 'data.companyId', name: 'data.name' },
    },
  ];
  const company = (): string => h.emulator.control.subscriberCompanyIds()[nextCompany++];
  const signupBody = (companyId: string): string =>
    JSON.stringify({
      type: 'customer.signed_up',
      id: `evt_${randomUUID()}`,
      data: { companyId, name: 'Acme' },
    });
  const nowSeconds = (): number => Math.floor(h.clock.nowMs() / 1000);
  const count = async (table: string, where: string, parameters: unknown[]): Promise<number> =>
    Number(
      (
        await dataSource.query<{ n: number }[]>(
          `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`,
          parameters,
        )
      )[0].n,
    );
  const jobs = (): Promise<number> => count('provisioning_jobs', '1 = 1', []);

  const createSource = async (extra: Json): Promise<{ id: string; secret: string }> => {
    const created = await h.t.http
      .post('/v1/webhook-sources')
      .send({ name: `src-${randomUUID().slice(0, 6)}`, rules: rules(), rateLimitPerSecond: 1000, ...extra })
      .expect(201);
    return created.body as { id: string; secret: string };
  };

  const HMAC_BASE = { signatureHeader: 'X-Signature', prefix: 'sha256=', encoding: 'hex' };

  it('refuses at save an HMAC source whose signature covers neither a timestamp nor the delivery id', async () => {
    const refused = await h.t.http
      .post('/v1/webhook-sources')
      .send({
        name: 'github-style',
        scheme: 'hmac_sha256',
        hmac: { ...HMAC_BASE, idHeader: 'X-Delivery' },
        rules: rules(),
      })
      .expect(400);
    expect(refused.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [
        { field: 'hmac', message: expect.stringContaining('covers neither a timestamp nor the delivery id') },
      ],
    });
    await h.t.http
      .post('/v1/webhook-sources')
      .send({
        name: 'both ids',
        scheme: 'hmac_sha256',
        hmac: { ...HMAC_BASE, idHeader: 'X-Delivery', idField: 'id' },
        rules: rules(),
      })
      .expect(400);
    // The id inside the signed body, or a signed timestamp: both can be made replay-safe.
    await createSource({ scheme: 'hmac_sha256', hmac: { ...HMAC_BASE, idField: 'id' } });
    await createSource({
      scheme: 'hmac_sha256',
      hmac: { ...HMAC_BASE, idHeader: 'X-Delivery', timestampHeader: 'X-Timestamp' },
    });
  });

  it('a captured HMAC delivery resent under new X-Delivery ids is a duplicate: one event, one job', async () => {
    const { id, secret } = await createSource({
      scheme: 'hmac_sha256',
      hmac: { ...HMAC_BASE, idHeader: 'X-Delivery', timestampHeader: 'X-Timestamp' },
    });
    const body = signupBody(company());
    const timestamp = String(nowSeconds());
    const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
    const send = (delivery: string): request.Test =>
      request(h.t.server)
        .post(`/v1/webhooks/${id}`)
        .set({ 'content-type': 'application/json', 'x-signature': signature, 'x-timestamp': timestamp })
        .set('x-delivery', delivery)
        .send(body);

    const jobsBefore = await jobs();
    const first = await send('d-1').expect(202);
    const receipt = first.body as { eventId: string; jobId: string };
    for (const replayed of ['d-2', 'd-3', randomUUID()]) {
      const again = await send(replayed).expect(200);
      expect(again.body).toMatchObject({ eventId: receipt.eventId, jobId: receipt.jobId });
    }
    // Concurrent replays too (the unique index, not a look-up, decides).
    const burst = await Promise.all(Array.from({ length: 10 }, () => send(randomUUID())));
    expect(burst.map((response) => response.status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(await count('webhook_events', 'source_id = $1', [id])).toBe(1);
    expect((await jobs()) - jobsBefore).toBe(1);
    // The sender's own retry (same id, new timestamp and signature) is a duplicate by its id.
    const later = String(nowSeconds() + 1);
    await request(h.t.server)
      .post(`/v1/webhooks/${id}`)
      .set({
        'content-type': 'application/json',
        'x-signature': `sha256=${createHmac('sha256', secret).update(`${later}.`).update(body).digest('hex')}`,
        'x-timestamp': later,
        'x-delivery': 'd-1',
      })
      .send(body)
      .expect(200);
    expect(await count('webhook_events', 'source_id = $1', [id])).toBe(1);
  });

  const standardHeaders = (
    secret: string,
    body: string | Buffer,
    names = 'webhook',
  ): Record<string, string> => {
    const messageId = `msg_${randomUUID()}`;
    const timestamp = nowSeconds();
    return {
      'content-type': 'application/json',
      [`${names}-id`]: messageId,
      [`${names}-timestamp`]: String(timestamp),
      [`${names}-signature`]: signWebhook(secret, messageId, timestamp, body),
    };
  };

  it('accepts the Svix header names (svix-id, svix-timestamp, svix-signature)', async () => {
    const { id, secret } = await createSource({});
    const body = signupBody(company());
    const accepted = await request(h.t.server)
      .post(`/v1/webhooks/${id}`)
      .set(standardHeaders(secret, body, 'svix'))
      .send(body)
      .expect(202);
    expect(accepted.body).toMatchObject({ status: 'job_created', jobId: expect.any(String) });
  });

  it('refuses a compressed body with 415 problem+json and stores nothing (no inflation before the signature)', async () => {
    const { id, secret } = await createSource({});
    const body = signupBody(company());
    // Signed over the JSON the sender meant: the server would verify it only after inflating.
    const refused = await request(h.t.server)
      .post(`/v1/webhooks/${id}`)
      .set({ ...standardHeaders(secret, body), 'content-encoding': 'gzip' })
      .send(gzipSync(body))
      .expect(415);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await count('webhook_events', 'source_id = $1', [id])).toBe(0);
  });

  it('routes the receiver path as the router does: upper case and a trailing slash get the raw body too', async () => {
    const { id, secret } = await createSource({});
    for (const path of [`/V1/WEBHOOKS/${id}`, `/v1/Webhooks/${id}/`]) {
      const body = signupBody(company());
      const accepted = await request(h.t.server).post(path).set(standardHeaders(secret, body)).send(body);
      expect({ path, status: accepted.status }).toEqual({ path, status: 202 });
    }
    // A path the router sends elsewhere keeps its own handling: the events list is not a receiver.
    await h.t.http.get('/V1/WEBHOOKS/EVENTS').expect(200);
    expect(await count('webhook_events', 'source_id = $1', [id])).toBe(2);
  });
});
