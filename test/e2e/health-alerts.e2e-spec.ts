import type { AlertDto } from '../../src/alerts/alerts.dto';
import { signWebhook } from '../../src/common/standard-webhooks';
import { eventually } from '../utils/provisioning-fakes';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';
import { type ReceivedWebhook, WebhookReceiver } from '../utils/webhook-receiver';

/** Health checks driven by emulator faults, alerts stored and delivered for real (no spies). */
async function startWithReceiver(confirmations: number) {
  const receiver = new WebhookReceiver();
  const url = await receiver.start();
  const h = await startVendorHarness({
    env: { HEALTH_ALERT_CONFIRMATIONS: String(confirmations), ALERT_DELIVERY_POLL_MS: '20' },
  });
  const destination = (await h.t.http.post('/v1/alert-destinations').send({ name: 'pager', url }).expect(201))
    .body as { secret: string };
  return { h, receiver, secret: destination.secret };
}

describe('health alerts, end to end (emulator → checks → signed webhook)', () => {
  let h: VendorHarness;
  let receiver: WebhookReceiver;
  let secret: string;

  beforeAll(async () => {
    ({ h, receiver, secret } = await startWithReceiver(1));
  });
  afterAll(async () => {
    await h.close();
    await receiver.stop();
  });

  const check = async (id: string) =>
    (await h.t.http.post(`/v1/subscribers/${id}/health-checks`).expect(201)).body as {
      status: string;
      reasons: string[];
    };
  const alertsOf = async (id: string) =>
    (await h.t.http.get(`/v1/alerts?subscriberId=${id}&pageSize=100`).expect(200)).body as AlertDto[];
  const deliveriesFor = (id: string): ReceivedWebhook[] =>
    receiver.requests.filter((request) => request.body.includes(id));

  function expectSigned(request: ReceivedWebhook): void {
    const id = String(request.headers['webhook-id']);
    const timestamp = Number(request.headers['webhook-timestamp']);
    expect(request.headers['webhook-signature']).toBe(signWebhook(secret, id, timestamp, request.body));
    expect(signWebhook('whsec_wrongwrongwrongwrongwrongwrong', id, timestamp, request.body)).not.toBe(
      request.headers['webhook-signature'],
    );
  }

  /** Runs a check that must cause exactly one alert (of `kind`), stored and delivered once, signed. */
  async function expectOneAlert(id: string, kind: string, reasons: string[]): Promise<void> {
    const storedBefore = (await alertsOf(id)).length;
    const deliveredBefore = deliveriesFor(id).length;
    await check(id);
    const stored = await eventually(async () => {
      const alerts = await alertsOf(id);
      return alerts[0]?.deliveries[0]?.state === 'succeeded' && deliveriesFor(id).length > deliveredBefore
        ? alerts
        : undefined;
    });
    expect(stored).toHaveLength(storedBefore + 1);
    expect(stored[0]).toMatchObject({ kind, reasons });
    // A further check in the same state adds nothing.
    await check(id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await alertsOf(id)).toHaveLength(storedBefore + 1);
    const delivered = deliveriesFor(id);
    expect(delivered).toHaveLength(deliveredBefore + 1);
    const last = delivered[delivered.length - 1];
    expect(JSON.parse(last.body)).toMatchObject({ type: kind, data: { alertId: stored[0].id, reasons } });
    expectSigned(last);
  }

  it('signs with the Standard Webhooks reference vector', () => {
    expect(
      signWebhook(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('401 → unhealthy, monthly 429 → degraded, 5xx beyond retries → unhealthy, each recovery → healthy: one alert each', async () => {
    const company = await h.register(0);
    expect(await check(company.id)).toMatchObject({ status: 'healthy' });
    expect(await alertsOf(company.id)).toEqual([]);

    h.emulator.control.addFault({
      path: '/subscriptions/**',
      action: { type: 'respond', status: 401, body: 'AUTH-1002 token invalid' },
    });
    await expectOneAlert(company.id, 'health.unhealthy', ['CREDENTIAL_INVALID']);
    h.emulator.control.clearFaults();
    // A refused credential stays refused until staff act: a fresh session is minted.
    await h.t.http
      .put(`/v1/subscribers/${company.id}/credential`)
      .send({ kind: 'company_session' })
      .expect(200);
    await expectOneAlert(company.id, 'health.recovered', []);

    h.emulator.control.addFault({
      path: '/subscriptions/**',
      action: { type: 'respond', status: 429, body: 'Monthly API call limit reached' },
    });
    await expectOneAlert(company.id, 'health.degraded', ['QUOTA_EXHAUSTED']);
    h.emulator.control.clearFaults();
    await h.t.http.post(`/v1/subscribers/${company.id}/quota/reset`).expect(204);
    await expectOneAlert(company.id, 'health.recovered', []);

    h.emulator.control.addFault({ path: '/subscriptions/**', action: { type: 'respond', status: 503 } });
    await expectOneAlert(company.id, 'health.unhealthy', ['VENDOR_UNAVAILABLE']);
    h.emulator.control.clearFaults();
    await expectOneAlert(company.id, 'health.recovered', []);

    expect((await alertsOf(company.id)).map((alert) => alert.kind).reverse()).toEqual([
      'health.unhealthy',
      'health.recovered',
      'health.degraded',
      'health.recovered',
      'health.unhealthy',
      'health.recovered',
    ]);
    expect(deliveriesFor(company.id)).toHaveLength(6);
  });
});

describe('health alerts: flapping is debounced', () => {
  it('alternating fault / no-fault checks with HEALTH_ALERT_CONFIRMATIONS=2 raise no alert', async () => {
    const { h, receiver } = await startWithReceiver(2);
    try {
      const company = await h.register(1);
      const check = () => h.t.http.post(`/v1/subscribers/${company.id}/health-checks`).expect(201);
      expect((await check()).body).toMatchObject({ status: 'healthy' });
      const observed: string[] = [];
      for (let round = 0; round < 4; round += 1) {
        h.emulator.control.addFault({ path: '/subscriptions/**', action: { type: 'respond', status: 503 } });
        observed.push(((await check()).body as { status: string }).status);
        h.emulator.control.clearFaults();
        observed.push(((await check()).body as { status: string }).status);
      }
      expect(observed).toEqual(Array.from({ length: 4 }, () => ['unhealthy', 'healthy']).flat());
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await h.t.http.get(`/v1/alerts?subscriberId=${company.id}`).expect(200)).body).toEqual([]);
      expect(receiver.requests).toEqual([]);
      const subscriber = (await h.t.http.get(`/v1/subscribers/${company.id}`).expect(200)).body as {
        healthStatus: string;
      };
      expect(subscriber.healthStatus).toBe('healthy');
    } finally {
      await h.close();
      await receiver.stop();
    }
  });
});
