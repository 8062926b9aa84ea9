import { randomUUID } from 'node:crypto';
import { get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { LiveStreams } from '../../../src/common/sse/live-streams';
import type { ProvisioningWorkers } from '../../../src/provisioning/ledger/worker-pool';
import type { StepOutcome } from '../../../src/provisioning/steps/step.types';
import {
  created,
  eventually,
  gate,
  ScriptedExecutor,
  startScriptedWorkers,
} from '../../utils/provisioning-fakes';
import { SandboxCompanies } from '../../utils/sandbox-companies';
import { createApiKey, startTestApp, type TestApp } from '../../utils/test-app';

type Json = Record<string, unknown>;

interface Opened {
  status: number;
  headers: IncomingMessage['headers'];
  response: IncomingMessage;
  /** Everything received so far. */
  text: () => string;
}

const PER_PRINCIPAL = 3;
const TOTAL = 5;
const REPLAY = 4;

describe('live streams are capped, bounded and kept alive (issue 15, item 7)', () => {
  let t: TestApp;
  let server: Server;
  let workers: ProvisioningWorkers;
  let behaviour: () => Promise<StepOutcome>;
  let templateId: string;
  let sandbox: SandboxCompanies;
  const opened: Opened[] = [];

  function open(jobId: string, apiKey: string, lastEventId?: string): Promise<Opened> {
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const outgoing = get(
        {
          host: '127.0.0.1',
          port,
          path: `/v1/provisioning/jobs/${jobId}/events`,
          agent: false,
          headers: {
            'x-api-key': apiKey,
            ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('error', () => undefined);
          const stream = {
            status: response.statusCode ?? 0,
            headers: response.headers,
            response,
            text: () => text,
          };
          opened.push(stream);
          resolve(stream);
        },
      );
      outgoing.on('error', reject);
    });
  }

  const close = (streams: Opened[]): void => {
    for (const stream of streams) {
      stream.response.destroy();
    }
  };
  const ended = (stream: Opened): Promise<void> =>
    stream.response.complete
      ? Promise.resolve()
      : new Promise((resolve) => stream.response.once('end', resolve));

  async function submit(companies: number): Promise<string> {
    const job = await t.http
      .post('/v1/provisioning/jobs')
      .send({
        templateId,
        mode: 'apply',
        // Companies the sandbox serves: a job row registers its company only when iPaaS.com lists it.
        subscribers: Array.from({ length: companies }, (_, index) => ({
          ipaasCompanyId: sandbox.next(),
          name: `Company ${index}`,
        })),
      })
      .expect(201);
    return (job.body as { id: string }).id;
  }

  beforeAll(async () => {
    t = await startTestApp({
      PROVISIONING_CONCURRENCY: '0',
      SSE_MAX_STREAMS_PER_PRINCIPAL: String(PER_PRINCIPAL),
      SSE_MAX_STREAMS: String(TOTAL),
      SSE_REPLAY_EVENTS: String(REPLAY),
      SSE_HEARTBEAT_SECONDS: '1',
    });
    sandbox = await SandboxCompanies.of(t);
    server = t.server as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    behaviour = () => Promise.resolve(created(1));
    workers = startScriptedWorkers(t, { executor: new ScriptedExecutor(() => behaviour()) });
    const template = await t.http
      .post('/v1/provisioning/templates')
      .send({
        name: `streams-${randomUUID().slice(0, 6)}`,
        spec: { customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: 'Buyer' }] },
      })
      .expect(201);
    templateId = (template.body as { id: string }).id;
  });

  afterAll(async () => {
    close(opened);
    await workers.beforeApplicationShutdown();
    await t.close();
  });

  it('caps streams per principal and in all, under 100 simultaneous opens, with 429 and Retry-After', async () => {
    const held = gate();
    behaviour = async () => {
      await held.promise;
      return created(1);
    };
    const jobId = await submit(1);
    const [first, second] = [await createApiKey(t.server, 'viewer'), await createApiKey(t.server, 'viewer')];
    try {
      const burst = await Promise.all(Array.from({ length: 100 }, () => open(jobId, first)));
      const accepted = burst.filter((stream) => stream.status === 200);
      const refused = burst.filter((stream) => stream.status === 429);
      expect([accepted.length, refused.length]).toEqual([PER_PRINCIPAL, 100 - PER_PRINCIPAL]);
      expect(accepted[0].headers['content-type']).toMatch(/^text\/event-stream/);
      await Promise.all(refused.map(ended));
      expect(refused[0].headers['retry-after']).toMatch(/^\d+$/);
      expect(refused[0].headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(refused[0].text()) as Json).toMatchObject({
        status: 429,
        code: 'RATE_LIMITED',
        detail: expect.stringContaining('SSE_MAX_STREAMS_PER_PRINCIPAL') as string,
      });

      // Another principal gets what is left of the instance's total.
      const others = await Promise.all(Array.from({ length: 100 }, () => open(jobId, second)));
      expect(others.filter((stream) => stream.status === 200)).toHaveLength(TOTAL - PER_PRINCIPAL);
      const full = others.find((stream) => stream.status === 429) as Opened;
      await ended(full);
      expect(JSON.parse(full.text()) as Json).toMatchObject({
        detail: expect.stringContaining('SSE_MAX_STREAMS') as string,
      });
      expect(t.app.get(LiveStreams).count()).toBe(TOTAL);

      // Disconnecting gives the slots back at once.
      close(accepted);
      await eventually(() => (t.app.get(LiveStreams).count() === TOTAL - PER_PRINCIPAL ? true : undefined));
      const again = await Promise.all(Array.from({ length: PER_PRINCIPAL }, () => open(jobId, first)));
      expect(again.map((stream) => stream.status)).toEqual(Array.from({ length: PER_PRINCIPAL }, () => 200));
    } finally {
      held.open();
    }
    // Streams of an ended job end, and their slots are free again.
    await eventually(() => (t.app.get(LiveStreams).count() === 0 ? true : undefined), 20000);
  });

  it('sends a heartbeat comment while nothing happens', async () => {
    const held = gate();
    behaviour = async () => {
      await held.promise;
      return created(1);
    };
    const jobId = await submit(1);
    try {
      const stream = await open(jobId, await createApiKey(t.server, 'viewer'));
      expect(stream.status).toBe(200);
      await eventually(() => (stream.text().includes('\n: heartbeat\n') ? true : undefined));
      close([stream]);
    } finally {
      held.open();
    }
  });

  it('replays at most SSE_REPLAY_EVENTS stored events after the progress snapshot, from Last-Event-ID or the latest', async () => {
    behaviour = () => Promise.resolve(created(1));
    const jobId = await submit(6);
    await eventually(async () => {
      const job = (await t.http.get(`/v1/provisioning/jobs/${jobId}`).expect(200)).body as { state: string };
      return job.state === 'succeeded' ? true : undefined;
    }, 20000);
    const key = await createApiKey(t.server, 'viewer');
    const eventsOf = async (lastEventId?: string): Promise<{ type: string; id: string }[]> => {
      const stream = await open(jobId, key, lastEventId);
      await ended(stream);
      return stream
        .text()
        .split('\n\n')
        .filter((block) => block.includes('event: '))
        .map((block) => ({
          type: /event: (.*)/.exec(block)?.[1] ?? '',
          id: /id: (.*)/.exec(block)?.[1] ?? '',
        }));
    };

    const latest = await eventsOf();
    expect(latest[0].type).toBe('progress');
    const replayed = latest.filter((event) => event.type !== 'progress');
    // 6 companies make 14 stored events (submitted, 6 running, 6 succeeded, finished): only the last 4 come.
    expect(replayed).toHaveLength(REPLAY);
    expect(replayed.at(-1)?.type).toBe('job.finished');

    const fromStart = (await eventsOf('1')).filter((event) => event.type !== 'progress');
    expect(fromStart.map((event) => event.id)).toEqual(replayed.map((event) => event.id));

    // A Last-Event-ID within the window resumes right after it.
    const resumed = (await eventsOf(replayed[1].id)).filter((event) => event.type !== 'progress');
    expect(resumed.map((event) => event.id)).toEqual(replayed.slice(2).map((event) => event.id));
  });
});
