import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { DataSource } from 'typeorm';

import type { AlertDeliveryDto, AlertDto } from '../../../src/alerts/alerts.dto';
import { AlertsService } from '../../../src/alerts/alerts.service';
import { OffsetClock } from '../../../src/common/time/clock';
import { eventually } from '../../utils/provisioning-fakes';
import { ScriptedResolver } from '../../utils/scripted-resolver';
import { parsedLogs, startTestApp, type TestApp } from '../../utils/test-app';

type Json = Record<string, unknown>;
type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const SUBSCRIBER_ID = '0b5d7e1c-4c3e-4c1e-9f6a-6b2b7f0c1a01';
const VERSION = (
  JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string }
).version;
/** Longer than any backoff with the settings below, so one advance makes a retry due. */
const PAST_ANY_BACKOFF_MS = 11 * 60 * 1000;

/** A loopback HTTP server whose answer the test chooses, recording what it was sent. */
class Receiver {
  readonly requests: { headers: IncomingMessage['headers']; body: string }[] = [];
  handler: Handler = (_request, response) => response.end();
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      this.handler(request, response);
    });
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('SSRF: the outbound guard of alert destinations (issue 15, items 2 and 3)', () => {
  const resolver = new ScriptedResolver();
  const clock = new OffsetClock();
  let t: TestApp;
  let strict: TestApp;
  let receiver: Receiver;
  let port: number;

  beforeAll(async () => {
    receiver = new Receiver();
    port = await receiver.start();
    // Only the receiver's own address is admitted: other loopback addresses stand in for "private" below
    // (tests send nothing beyond this machine's loopback).
    t = await startTestApp(
      {
        OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
        ALERT_DELIVERY_POLL_MS: '20',
        ALERT_DELIVERY_MAX_ATTEMPTS: '3',
        ALERT_DELIVERY_RETRY_BASE_MS: '60000',
        ALERT_DELIVERY_RETRY_MAX_MS: '600000',
        // Long, so a delivery that waits for a whole endless body shows as a timed-out test.
        ALERT_DELIVERY_TIMEOUT_MS: '60000',
      },
      { clock, hostResolver: resolver },
    );
    // The production default: no allow-list.
    strict = await startTestApp({ OUTBOUND_ALLOW_CIDRS: '' }, { hostResolver: resolver });
  });

  afterAll(async () => {
    await t.close();
    await strict.close();
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.handler = (_request, response) => response.end();
  });

  async function withDestination(url: string, run: (destinationId: string) => Promise<void>): Promise<void> {
    const created = await t.http.post('/v1/alert-destinations').send({ name: 'ssrf', url }).expect(201);
    const id = (created.body as { id: string }).id;
    try {
      await run(id);
    } finally {
      await t.http.delete(`/v1/alert-destinations/${id}`).expect(204);
    }
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

  async function deliveryTo(destinationId: string, agent = t.http): Promise<AlertDeliveryDto> {
    const page = await agent.get(`/v1/alerts?subscriberId=${SUBSCRIBER_ID}&pageSize=1`).expect(200);
    const [alert] = page.body as AlertDto[];
    return alert.deliveries.find((delivery) => delivery.destinationId === destinationId) as AlertDeliveryDto;
  }

  const settled = (destinationId: string, attempts: number): Promise<AlertDeliveryDto> =>
    eventually(async () => {
      const delivery = await deliveryTo(destinationId);
      return delivery.attempts >= attempts ? delivery : undefined;
    }, 10000);

  it('refuses every non-public address form at create time with 400 OUTBOUND_URL_REFUSED and the reason', async () => {
    resolver.answer('loopback.test', ['127.0.0.1']);
    resolver.answer('intranet.test', ['10.1.2.3']);
    resolver.answer('mixed.test', ['93.184.216.34', '192.168.7.7']);
    const forms: [string, string][] = [
      [`http://127.0.0.1:${port}/hooks`, 'loopback'],
      ['http://[::1]/hooks', 'loopback'],
      [`http://localhost:${port}/hooks`, 'localhost resolves to'],
      ['http://0.0.0.0:4010/__emulator/reset', 'unspecified'],
      ['http://0x7f000001/hooks', 'loopback'],
      ['http://2130706433/hooks', 'loopback'],
      ['http://017700000001/hooks', 'loopback'],
      ['http://admin:secret@hooks.example.com/hooks', 'userinfo'],
      ['http://user@127.0.0.1/hooks', 'userinfo'],
      ['http://169.254.169.254/latest/meta-data/iam', 'metadata'],
      ['http://[fd00:ec2::254]/latest/meta-data', 'metadata'],
      ['http://[::ffff:127.0.0.1]/hooks', 'IPv4-mapped'],
      ['http://[::127.0.0.1]/hooks', 'IPv4-compatible'],
      ['http://10.0.0.1/hooks', 'private'],
      ['http://172.16.0.1/hooks', 'private'],
      ['http://172.31.255.1/hooks', 'private'],
      ['http://192.168.0.1/hooks', 'private'],
      ['http://100.64.0.1/hooks', 'carrier-grade NAT'],
      ['http://224.0.0.1/hooks', 'multicast'],
      ['http://[ff02::1]/hooks', 'multicast'],
      ['http://[fe80::1]/hooks', 'link-local'],
      ['http://loopback.test/hooks', 'loopback.test resolves to 127.0.0.1'],
      ['http://intranet.test/hooks', 'intranet.test resolves to 10.1.2.3'],
      ['http://mixed.test/hooks', 'mixed.test resolves to 192.168.7.7'],
      ['http://unknown.test/hooks', 'does not resolve'],
    ];
    for (const [url, reason] of forms) {
      const refused = await strict.http.post('/v1/alert-destinations').send({ name: 'x', url });
      expect({ url, status: refused.status }).toEqual({ url, status: 400 });
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        code: 'OUTBOUND_URL_REFUSED',
        errors: [{ field: 'url', message: expect.stringContaining(reason) as string }],
      });
    }
    expect((await strict.http.get('/v1/alert-destinations').expect(200)).body).toEqual([]);
  });

  it('admits loopback only when OUTBOUND_ALLOW_CIDRS lists it (the test apps do; the default does not)', async () => {
    const url = `http://127.0.0.1:${port}/hooks`;
    await strict.http.post('/v1/alert-destinations').send({ name: 'x', url }).expect(400);
    await withDestination(url, async () => {
      await raise();
      await eventually(() => Promise.resolve(receiver.requests.length === 1 || undefined));
    });
    // 127.0.0.2 is loopback too, but outside the admitted 127.0.0.1/32.
    const other = await t.http.post('/v1/alert-destinations').send({ name: 'x', url: 'http://127.0.0.2/' });
    expect(other.status).toBe(400);
  });

  it('connects to the checked address: a name only the test resolver knows is delivered to, with the User-Agent', async () => {
    resolver.answer('receiver.test', ['127.0.0.1']);
    await withDestination(`http://receiver.test:${port}/hooks`, async (id) => {
      await raise();
      const delivery = await settled(id, 1);
      expect(delivery).toMatchObject({ state: 'succeeded', outcome: 'delivered', statusClass: '2xx' });
      expect(receiver.requests).toHaveLength(1);
      // The operating system cannot resolve receiver.test: the connection used the checked answer.
      expect(receiver.requests[0].headers.host).toBe(`receiver.test:${port}`);
      expect(receiver.requests[0].headers['user-agent']).toBe(`Tenantry/${VERSION}`);
    });
  });

  it('DNS rebinding: one look-up per attempt, the connection goes to that answer, and a changed answer is re-checked and refused', async () => {
    // The first answers are admitted (standing in for "public"), the later one is not.
    resolver.answer('rebind.test', ['127.0.0.1'], ['127.0.0.1'], ['127.0.0.2']);
    receiver.handler = (_request, response) => {
      response.statusCode = 503;
      response.end();
    };
    await withDestination(`http://rebind.test:${port}/hooks`, async (id) => {
      expect(resolver.lookupsOf('rebind.test')).toBe(1); // the check at create time
      await raise();
      const first = await settled(id, 1);
      expect(first).toMatchObject({ state: 'pending', outcome: 'retrying', lastStatus: 503 });
      expect(receiver.requests).toHaveLength(1);
      // One look-up for the attempt's check; none by the HTTP client (it would have had the next answer).
      expect(resolver.lookupsOf('rebind.test')).toBe(2);

      clock.advance(PAST_ANY_BACKOFF_MS);
      const second = await settled(id, 2);
      expect(resolver.lookupsOf('rebind.test')).toBe(3);
      expect(second).toMatchObject({ state: 'failed', outcome: 'failed', attempts: 2, lastStatus: null });
      expect(second.lastError).toContain('not sent: rebind.test resolves to 127.0.0.2');
      expect(receiver.requests).toHaveLength(1);
    });
  });

  it('never follows a redirect: a 3xx fails the delivery at once and the target gets nothing', async () => {
    const target = new Receiver();
    const targetPort = await target.start();
    receiver.handler = (_request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${targetPort}/elsewhere` });
      response.end();
    };
    try {
      await withDestination(`http://127.0.0.1:${port}/hooks`, async (id) => {
        await raise();
        const delivery = await settled(id, 1);
        expect(delivery).toMatchObject({
          state: 'failed',
          outcome: 'failed',
          statusClass: '3xx',
          attempts: 1,
          lastStatus: 307,
        });
        expect(delivery.lastError).toContain('redirects are not followed');
        expect(target.requests).toEqual([]);
      });
    } finally {
      await target.stop();
    }
  });

  it('reads at most 64 KB of an answer: an endless 200 body is cut off and the delivery counts', async () => {
    let written = 0;
    let clientLeft = false;
    receiver.handler = (request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = (): void => {
        let more = true;
        while (!clientLeft && more && written < 8 * 1024 * 1024) {
          more = response.write(chunk);
          written += chunk.length;
        }
      };
      response.on('drain', pump);
      request.socket.once('close', () => {
        clientLeft = true;
      });
      pump();
    };
    await withDestination(`http://127.0.0.1:${port}/hooks`, async (id) => {
      await raise();
      const delivery = await settled(id, 1);
      expect(delivery).toMatchObject({ state: 'succeeded', lastStatus: 200 });
      await eventually(() => Promise.resolve(clientLeft || undefined));
      expect(written).toBeGreaterThan(64 * 1024);
    });
  });

  it('shows viewers a coarse outcome; the raw network error goes to admins and the log only', async () => {
    const viewer = await t.as('viewer');
    // Port 1 on the admitted loopback address: nothing listens, so the connection is refused.
    await withDestination('http://127.0.0.1:1/hooks', async (id) => {
      await raise();
      const failedAttempt = await settled(id, 1);
      expect(failedAttempt.lastError).toMatch(/ECONNREFUSED/);

      const seen = await deliveryTo(id, viewer);
      expect(seen).toMatchObject({ state: 'pending', outcome: 'retrying', statusClass: null, attempts: 1 });
      expect(seen).not.toHaveProperty('lastError');
      expect(seen).not.toHaveProperty('lastStatus');
      const listed = JSON.stringify((await viewer.get('/v1/alerts').expect(200)).body);
      expect(listed).not.toContain('ECONNREFUSED');
      expect(listed).not.toContain('127.0.0.1:1');

      const logged = parsedLogs(t.logs).find(
        (line) => line.msg === 'alert delivery attempt failed' && line.deliveryId === seen.id,
      ) as Json;
      expect(String(logged.error)).toMatch(/ECONNREFUSED/);
    });
    receiver.handler = (_request, response) => {
      response.statusCode = 502;
      response.end();
    };
    await withDestination(`http://127.0.0.1:${port}/hooks`, async (id) => {
      await raise();
      await settled(id, 1);
      const seen = await deliveryTo(id, viewer);
      expect(seen).toMatchObject({ outcome: 'retrying', statusClass: '5xx' });
      expect(seen).not.toHaveProperty('lastStatus');
    });
  });

  it('never stores a refused URL', async () => {
    const rows = await strict.app
      .get(DataSource)
      .query<{ n: number }[]>('SELECT COUNT(*) AS n FROM alert_destinations');
    expect(Number(rows[0].n)).toBe(0);
  });
});
