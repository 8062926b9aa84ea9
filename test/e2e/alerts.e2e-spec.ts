import { DataSource } from 'typeorm';

import type { AlertDto } from '../../src/alerts/alerts.dto';
import { AlertsService } from '../../src/alerts/alerts.service';
import { signWebhook } from '../../src/common/standard-webhooks';
import { OffsetClock } from '../../src/common/time/clock';
import { startTestApp, type TestApp } from '../utils/test-app';
import { type ReceivedWebhook, WebhookReceiver as Receiver } from '../utils/webhook-receiver';

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const SUBSCRIBER_ID = '6f1c1d52-9a55-4bfa-9d43-6c3c7b6a1e01';
const MAX_ATTEMPTS = 3;
/** Larger than any backoff with these settings (cap 10 min), so one advance makes a retry due. */
const PAST_ANY_BACKOFF_MS = 11 * 60 * 1000;

describe('Alerts (e2e)', () => {
  let t: TestApp;
  let clock: OffsetClock;
  let receiver: Receiver;
  let url: string;

  beforeAll(async () => {
    clock = new OffsetClock();
    t = await startTestApp(
      {
        ALERT_DELIVERY_POLL_MS: '20',
        ALERT_DELIVERY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        ALERT_DELIVERY_RETRY_BASE_MS: '60000',
        ALERT_DELIVERY_RETRY_MAX_MS: '600000',
        ALERT_DELIVERY_TIMEOUT_MS: '2000',
      },
      { clock },
    );
    receiver = new Receiver();
    url = await receiver.start();
  });

  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.statuses = [];
  });

  async function createDestination(): Promise<{ id: string; secret: string }> {
    const created = await t.http.post('/v1/alert-destinations').send({ name: 'pager', url }).expect(201);
    return created.body as { id: string; secret: string };
  }

  async function raise(): Promise<void> {
    await t.app.get(AlertsService).raise({
      subscriberId: SUBSCRIBER_ID,
      kind: 'health.unhealthy',
      from: 'healthy',
      to: 'unhealthy',
      reasons: ['credential_invalid'],
      at: clock.now(),
    });
  }

  async function latestAlert(): Promise<AlertDto> {
    const page = await t.http.get(`/v1/alerts?subscriberId=${SUBSCRIBER_ID}&pageSize=1`).expect(200);
    return (page.body as AlertDto[])[0];
  }

  function expectVerified(request: ReceivedWebhook, secret: string): void {
    const id = String(request.headers['webhook-id']);
    const timestamp = Number(request.headers['webhook-timestamp']);
    expect(request.headers['webhook-signature']).toBe(signWebhook(secret, id, timestamp, request.body));
  }

  it('creates a destination with a whsec_ secret shown once, and lists it without the secret', async () => {
    const destination = await createDestination();
    expect(destination.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const list = await t.http.get('/v1/alert-destinations').expect(200);
    expect(list.headers['x-pagination']).toBeDefined();
    const listed = (list.body as Record<string, unknown>[]).find((row) => row.id === destination.id);
    expect(listed).toMatchObject({ name: 'pager', url, enabled: true });
    expect(JSON.stringify(list.body)).not.toContain(destination.secret);

    const [row] = await t.app
      .get(DataSource)
      .query<{ secret_sealed: string }[]>('SELECT secret_sealed FROM alert_destinations WHERE id = $1', [
        destination.id,
      ]);
    expect(row.secret_sealed).not.toContain(destination.secret.slice('whsec_'.length));

    await t.http.delete(`/v1/alert-destinations/${destination.id}`).expect(204);
    await t.http.delete(`/v1/alert-destinations/${destination.id}`).expect(404);
  });

  it('rejects a destination URL that is not http(s)', async () => {
    for (const bad of ['ftp://example.com/hook', 'not a url', 'javascript:alert(1)']) {
      await t.http.post('/v1/alert-destinations').send({ name: 'bad', url: bad }).expect(400);
    }
  });

  it('delivers a raised alert as a signed POST the receiver verifies, stored, audited and logged', async () => {
    const destination = await createDestination();
    await raise();
    await waitFor(() => receiver.requests.length === 1, 'the delivery');

    const [request] = receiver.requests;
    expect(request.headers['content-type']).toContain('application/json');
    expectVerified(request, destination.secret);
    // Signed at the app's clock time, in unix seconds.
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - clock.nowMs() / 1000)).toBeLessThan(60);
    expect(JSON.parse(request.body)).toMatchObject({
      type: 'health.unhealthy',
      data: {
        subscriberId: SUBSCRIBER_ID,
        from: 'healthy',
        to: 'unhealthy',
        reasons: ['credential_invalid'],
      },
    });

    await waitFor(async () => (await latestAlert()).deliveries[0]?.state === 'succeeded', 'the delivery log');
    const alert = await latestAlert();
    expect(alert).toMatchObject({
      kind: 'health.unhealthy',
      to: 'unhealthy',
      reasons: ['credential_invalid'],
    });
    expect(alert.deliveries).toEqual([
      expect.objectContaining({
        id: request.headers['webhook-id'],
        destinationId: destination.id,
        state: 'succeeded',
        attempts: 1,
        lastStatus: 200,
        nextAttemptAt: null,
      }),
    ]);

    const audits = await t.app
      .get(DataSource)
      .query<{ actor_kind: string; target: string; details: string }[]>(
        "SELECT actor_kind, target, details FROM audit_events WHERE action = 'alert.raised' AND target = $1",
        [alert.id],
      );
    expect(audits).toHaveLength(1);
    expect(audits[0].actor_kind).toBe('system');
    await t.http.delete(`/v1/alert-destinations/${destination.id}`).expect(204);
  });

  it('retries a receiver answering 500 twice with backoff, then succeeds on the third attempt', async () => {
    const destination = await createDestination();
    receiver.statuses = [500, 500, 200];
    await raise();

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await waitFor(() => receiver.requests.length === attempt, `attempt ${attempt}`);
      await waitFor(
        async () => (await latestAlert()).deliveries[0]?.attempts === attempt,
        'the recorded attempt',
      );
      if (attempt < 3) {
        const delivery = (await latestAlert()).deliveries[0];
        expect(delivery).toMatchObject({ state: 'pending', lastStatus: 500, lastError: 'HTTP 500' });
        // Not retried before the backoff elapses on the clock.
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(receiver.requests).toHaveLength(attempt);
        clock.advance(PAST_ANY_BACKOFF_MS);
      }
    }

    const delivery = (await latestAlert()).deliveries[0];
    expect(delivery).toMatchObject({ state: 'succeeded', attempts: 3, lastStatus: 200, lastError: null });
    const ids = new Set(receiver.requests.map((request) => request.headers['webhook-id']));
    expect(ids).toEqual(new Set([delivery.id]));
    for (const request of receiver.requests) {
      expectVerified(request, destination.secret);
    }
    await t.http.delete(`/v1/alert-destinations/${destination.id}`).expect(204);
  });

  it('marks a delivery failed after the maximum attempts', async () => {
    const destination = await createDestination();
    receiver.statuses = Array.from({ length: MAX_ATTEMPTS }, () => 503);
    await raise();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      await waitFor(
        async () => (await latestAlert()).deliveries[0]?.attempts === attempt,
        `attempt ${attempt}`,
      );
      clock.advance(PAST_ANY_BACKOFF_MS);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.requests).toHaveLength(MAX_ATTEMPTS);
    expect((await latestAlert()).deliveries[0]).toMatchObject({
      state: 'failed',
      attempts: MAX_ATTEMPTS,
      lastStatus: 503,
      nextAttemptAt: null,
    });
    await t.http.delete(`/v1/alert-destinations/${destination.id}`).expect(204);
  });

  it('does not deliver to a disabled destination', async () => {
    const created = await t.http
      .post('/v1/alert-destinations')
      .send({ name: 'muted', url, enabled: false })
      .expect(201);
    await raise();
    expect((await latestAlert()).deliveries).toEqual([]);
    await t.http.delete(`/v1/alert-destinations/${(created.body as { id: string }).id}`).expect(204);
  });

  it('rotates the secret: later deliveries are signed with the new one', async () => {
    const destination = await createDestination();
    const rotated = await t.http.post(`/v1/alert-destinations/${destination.id}/rotate-secret`).expect(200);
    const newSecret = (rotated.body as { secret: string }).secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(destination.secret);
    await raise();
    await waitFor(() => receiver.requests.length === 1, 'the delivery');
    expectVerified(receiver.requests[0], newSecret);
    await t.http.delete(`/v1/alert-destinations/${destination.id}`).expect(204);
  });

  it('filters alerts by kind and subscriber', async () => {
    await t.app.get(AlertsService).raise({
      subscriberId: SUBSCRIBER_ID,
      kind: 'credential.expiring',
      from: null,
      to: 'expiring',
      reasons: ['expires_in_7_days'],
      at: clock.now(),
    });
    const byKind = await t.http.get('/v1/alerts?kind=credential.expiring').expect(200);
    expect((byKind.body as AlertDto[]).map((alert) => alert.kind)).toEqual(['credential.expiring']);
    const other = await t.http
      .get('/v1/alerts?subscriberId=00000000-0000-4000-8000-000000000000')
      .expect(200);
    expect(other.body).toEqual([]);
    await t.http.get('/v1/alerts?kind=nonsense').expect(400);
  });

  it('never reveals a signing secret in logs, audit or later responses', async () => {
    const destination = await createDestination();
    const rotated = await t.http.post(`/v1/alert-destinations/${destination.id}/rotate-secret`).expect(200);
    const secrets = [destination.secret, (rotated.body as { secret: string }).secret];
    await raise();
    await waitFor(() => receiver.requests.length === 1, 'the delivery');

    const audit = JSON.stringify(await t.app.get(DataSource).query('SELECT * FROM audit_events'));
    const responses = JSON.stringify([
      (await t.http.get('/v1/alert-destinations').expect(200)).body,
      (await t.http.get('/v1/alerts').expect(200)).body,
    ]);
    for (const secret of secrets) {
      for (const part of [secret, secret.slice('whsec_'.length)]) {
        expect(t.logs.join('\n')).not.toContain(part);
        expect(audit).not.toContain(part);
        expect(responses).not.toContain(part);
      }
    }
    await t.http.delete(`/v1/alert-destinations/${destination.id}`).expect(204);
  });

  it('allows destinations to admins only and alerts to viewers', async () => {
    const viewer = await t.as('viewer');
    const operator = await t.as('operator');
    for (const agent of [viewer, operator]) {
      await agent.post('/v1/alert-destinations').send({ name: 'x', url }).expect(403);
      await agent.get('/v1/alert-destinations').expect(403);
    }
    await viewer.get('/v1/alerts').expect(200);
  });
});
