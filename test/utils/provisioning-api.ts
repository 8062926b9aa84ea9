import { randomUUID } from 'node:crypto';

import type TestAgent from 'supertest/lib/agent';

import { eventually } from './provisioning-fakes';

type Json = Record<string, unknown>;

/** One event of a `text/event-stream` answer. */
export interface ServerSentEvent {
  type: string;
  id: string | undefined;
  data: Json;
}

export const TERMINAL_JOB_STATES = ['succeeded', 'completed_with_errors', 'cancelled', 'failed'];

export function parseEventStream(text: string): ServerSentEvent[] {
  return (
    text
      .split('\n\n')
      // Comment-only blocks (`: heartbeat`) carry no event.
      .filter((block) => block.split('\n').some((line) => line.length > 0 && !line.startsWith(':')))
      .map((block) => {
        const field = (name: string) =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        return {
          type: field('event') ?? 'message',
          id: field('id'),
          data: JSON.parse(field('data') ?? '{}') as Json,
        };
      })
  );
}

export async function createTemplate(http: TestAgent, spec: object): Promise<string> {
  const response = await http
    .post('/v1/provisioning/templates')
    .send({ name: `template-${randomUUID().slice(0, 8)}`, spec })
    .expect(201);
  return (response.body as { id: string }).id;
}

export async function waitForEnd(http: TestAgent, jobId: string, timeoutMs = 20000): Promise<Json> {
  return eventually(async () => {
    const job = (await http.get(`/v1/provisioning/jobs/${jobId}`).expect(200)).body as Json;
    return TERMINAL_JOB_STATES.includes(job.state as string) ? job : undefined;
  }, timeoutMs);
}

/** Submits a job (`POST /v1/provisioning/jobs`, expecting 201) and returns its id. */
export async function submitJob(http: TestAgent, body: Json): Promise<string> {
  const response = await http.post('/v1/provisioning/jobs').send(body).expect(201);
  return (response.body as { id: string }).id;
}
