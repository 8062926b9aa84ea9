import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { createApiKey, startTestApp, type TestApp } from '../../utils/test-app';

interface Answer {
  status: number;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/**
 * Sends only the headers of a POST announcing `contentLength` body bytes, and none of the body: the answer
 * can only arrive if the server decided without reading the body.
 */
function postHeadersOnly(server: Server, path: string, contentLength: number, headers = {}): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(contentLength), ...headers },
    });
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        outgoing.destroy();
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        });
      });
    });
    outgoing.on('error', reject);
    outgoing.flushHeaders();
  });
}

const SIXTEEN_MB = 16 * 1024 * 1024 - 1;

describe('large bodies are read only after authentication, on exactly POST /v1/provisioning/jobs (issue 15, item 8)', () => {
  let t: TestApp;
  let server: Server;

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT: '64kb', BULK_BODY_LIMIT: '16mb', PROVISIONING_CONCURRENCY: '0' });
    server = t.server as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers an anonymous 16 MB POST with 401 before reading a byte of its body', async () => {
    for (const path of ['/v1/provisioning/jobs', '/V1/Provisioning/Jobs/']) {
      const answer = await postHeadersOnly(server, path, SIXTEEN_MB);
      expect({ path, status: answer.status }).toEqual({ path, status: 401 });
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    const badKey = await postHeadersOnly(server, '/v1/provisioning/jobs', SIXTEEN_MB, {
      'x-api-key': 'tnt_00000000-0000-4000-8000-000000000000_nope',
    });
    expect(badKey.status).toBe(401);
  });

  it('answers a viewer’s 16 MB POST with 403 before reading its body (roles are checked first too)', async () => {
    const viewerKey = await createApiKey(t.server, 'viewer');
    const answer = await postHeadersOnly(server, '/v1/provisioning/jobs', SIXTEEN_MB, {
      'x-api-key': viewerKey,
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('reads an operator’s body above BODY_LIMIT on the bulk route (after the guard)', async () => {
    const operator = await t.as('operator');
    const subscribers = Array.from({ length: 3000 }, (_, index) => ({
      ipaasCompanyId: `company-${String(index).padStart(40, '0')}`,
      name: `Company ${index}`,
    }));
    const body = { templateId: randomUUID(), mode: 'apply', subscribers };
    expect(JSON.stringify(body).length).toBeGreaterThan(64 * 1024);
    const answer = await operator.post('/v1/provisioning/jobs').send(body);
    // Parsed and judged on its content (the template does not exist), not refused for its size.
    expect(answer.body).not.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('applies the general BODY_LIMIT to every other route under /v1/provisioning/jobs', async () => {
    const operator = await t.as('operator');
    const large = { note: 'x'.repeat(100 * 1024) };
    for (const path of [
      `/v1/provisioning/jobs/${randomUUID()}/cancel`,
      `/v1/provisioning/jobs/${randomUUID()}/retry`,
    ]) {
      const answer = await operator.post(path).send(large);
      expect({ path, status: answer.status }).toEqual({ path, status: 413 });
      expect(answer.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    }
  });
});
