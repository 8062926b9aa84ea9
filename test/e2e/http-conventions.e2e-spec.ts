import { Controller, Get, Module } from '@nestjs/common';
import request from 'supertest';

import { Public } from '../../src/auth/auth.decorators';
import { startTestApp, parsedLogs, type TestApp } from '../utils/test-app';

const PROBLEM_JSON = /^application\/problem\+json/;

// A route that fails the way real bugs do: an error whose message carries SQL and a file path.
@Public()
@Controller('test-failures')
class FailingController {
  @Get('crash')
  crash(): never {
    throw new Error(
      'SQLITE_ERROR: no such table: staff_secrets (SELECT password FROM staff) at /srv/app/x.ts:1',
    );
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('HTTP conventions (problem+json, request ids, pagination, logs)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT: '2kb' }, { imports: [FailingModule] });
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers an unknown route with a 404 problem', async () => {
    const response = await request(t.server).get('/v1/no-such-route').expect(404);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toEqual({
      type: '/v1/problems/NOT_FOUND',
      title: 'Not found',
      status: 404,
      detail: 'Cannot GET /v1/no-such-route',
      code: 'NOT_FOUND',
      requestId: response.headers['x-request-id'],
      instance: '/v1/no-such-route',
    });
  });

  it('answers malformed JSON with a 400 MALFORMED_JSON problem carrying the request id', async () => {
    const response = await request(t.server)
      .post('/v1/problems')
      .set('Content-Type', 'application/json')
      .set('X-Request-Id', 'malformed-1')
      .send('{"unterminated": ')
      .expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status: 400, code: 'MALFORMED_JSON', requestId: 'malformed-1' });
    expect(JSON.stringify(response.body)).not.toMatch(/Unexpected|SyntaxError|position/);
  });

  it('answers an oversized body with a 413 problem', async () => {
    const response = await request(t.server)
      .post('/v1/problems')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(4096) }))
      .expect(413);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('lists every invalid field in a VALIDATION_FAILED problem', async () => {
    const response = await request(t.server)
      .get('/v1/problems?pageSize=501&pageNumber=0&color=red')
      .expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    const fields = (response.body.errors as { field: string; message: string }[]).map((error) => error.field);
    expect(fields.sort()).toEqual(['color', 'pageNumber', 'pageSize']);
    expect(response.body.errors).toContainEqual({
      field: 'pageSize',
      message: 'pageSize must not be greater than 500',
    });
  });

  it('answers an unexpected error with a generic 500 that leaks nothing, and logs it with the request id', async () => {
    const response = await request(t.server)
      .get('/v1/test-failures/crash')
      .set('X-Request-Id', 'boom-42')
      .expect(500);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toEqual({
      type: '/v1/problems/INTERNAL',
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred',
      code: 'INTERNAL',
      requestId: 'boom-42',
      instance: '/v1/test-failures/crash',
    });
    expect(response.text).not.toMatch(/SQLITE|SELECT|staff_secrets|\/srv\/app|stack/i);
    const logged = parsedLogs(t.logs).find((line) => line.msg === 'Unhandled error');
    expect(logged).toMatchObject({ requestId: 'boom-42', reqId: 'boom-42' });
    expect(JSON.stringify(logged)).toContain('staff_secrets');
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const sane = await request(t.server).get('/healthz').set('X-Request-Id', 'abc-123.def_456:7').expect(200);
    expect(sane.headers['x-request-id']).toBe('abc-123.def_456:7');

    const unsafe = await request(t.server).get('/healthz').set('X-Request-Id', 'x'.repeat(200)).expect(200);
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const generated = await request(t.server).get('/healthz').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers['x-request-id']).not.toBe(unsafe.headers['x-request-id']);
  });

  it('puts the request id, route, status and latency on the access log line', async () => {
    await request(t.server).get('/v1/problems/NOT_FOUND').set('X-Request-Id', 'access-log-1').expect(200);
    const line = parsedLogs(t.logs).find(
      (entry) => entry.reqId === 'access-log-1' && entry.msg === 'request completed',
    );
    expect(line).toMatchObject({ route: '/v1/problems/:code', res: { statusCode: 200 } });
    expect(typeof line?.responseTime).toBe('number');
  });

  describe('X-Pagination', () => {
    const header = (response: request.Response): Record<string, unknown> =>
      JSON.parse(response.headers['x-pagination']) as Record<string, unknown>;

    it('describes an empty list', async () => {
      const response = await request(t.server).get('/v1/problems?status=418').expect(200);
      expect(response.body).toEqual([]);
      expect(response.headers['x-pagination']).toBe(
        '{"total_Count":0,"page_Size":50,"current_Page":1,"total_Pages":0,"previous_Page":"No","next_Page":"No"}',
      );
    });

    it('describes a one-page list', async () => {
      const response = await request(t.server).get('/v1/problems?pageSize=500').expect(200);
      const total = (response.body as unknown[]).length;
      expect(total).toBeGreaterThan(5);
      expect(header(response)).toEqual({
        total_Count: total,
        page_Size: 500,
        current_Page: 1,
        total_Pages: 1,
        previous_Page: 'No',
        next_Page: 'No',
      });
    });

    it('describes the first, a middle, the last and a past-the-end page of a multi-page list', async () => {
      const all = (await request(t.server).get('/v1/problems?pageSize=500')).body as { code: string }[];
      const pages = Math.ceil(all.length / 4);

      const first = await request(t.server).get('/v1/problems?pageSize=4').expect(200);
      expect(first.body).toEqual(all.slice(0, 4));
      expect(first.headers['x-pagination']).toBe(
        JSON.stringify({
          total_Count: all.length,
          page_Size: 4,
          current_Page: 1,
          total_Pages: pages,
          previous_Page: 'No',
          next_Page: 'Yes',
        }),
      );

      const middle = await request(t.server).get('/v1/problems?pageSize=4&pageNumber=2').expect(200);
      expect(middle.body).toEqual(all.slice(4, 8));
      expect(header(middle)).toMatchObject({ current_Page: 2, previous_Page: 'Yes', next_Page: 'Yes' });

      const last = await request(t.server).get(`/v1/problems?pageSize=4&pageNumber=${pages}`).expect(200);
      expect(last.body).toEqual(all.slice((pages - 1) * 4));
      expect(header(last)).toMatchObject({ current_Page: pages, previous_Page: 'Yes', next_Page: 'No' });

      const beyond = await request(t.server)
        .get(`/v1/problems?pageSize=4&pageNumber=${pages + 1}`)
        .expect(200);
      expect(beyond.body).toEqual([]);
      expect(header(beyond)).toMatchObject({
        total_Count: all.length,
        current_Page: pages + 1,
        next_Page: 'No',
      });
    });
  });

  it('never logs a secret sent in headers or bodies', async () => {
    const canary = 'secret-canary';
    await request(t.server)
      .get('/v1/problems')
      .set('Authorization', canary)
      .set('Cookie', `session=${canary}`);
    await request(t.server)
      .get('/v1/no-such-route')
      .set('Authorization', `Bearer ${canary}`)
      .set('X-Api-Key', canary);
    await request(t.server)
      .post('/v1/problems')
      .set('Authorization', canary)
      .send({ password: canary, nested: { apiKey: canary, deeper: { access_token: canary } } });
    await request(t.server).get('/v1/test-failures/crash').set('Authorization', canary);
    expect(t.logs.length).toBeGreaterThan(4);
    for (const line of t.logs) {
      expect(line).not.toContain(canary);
    }
  });

  it('sets helmet security headers and no CORS headers by default', async () => {
    const response = await request(t.server)
      .get('/healthz')
      .set('Origin', 'https://evil.example')
      .expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
