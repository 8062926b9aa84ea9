import { randomUUID } from 'node:crypto';

import request from 'supertest';

import { signWebhook } from '../../src/common/standard-webhooks';
import { MAX_JSON_DEPTH } from '../../src/common/http/json-shape';
import { MAX_PAGE_NUMBER } from '../../src/common/http/pagination';
import { TEST_ADMIN } from '../utils/test-app';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

type Json = Record<string, unknown>;

interface OpenApiOperation {
  parameters?: { name: string; in: string; schema?: Json }[];
  requestBody?: unknown;
}
type OpenApiDocument = { paths: Record<string, Record<string, OpenApiOperation>> };

const deepArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const deepObjects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/**
 * Issue 14, point 1: inputs that answered 500. Each is a regression test (it failed before the fix): every
 * one must be a 400 problem+json with a stable code.
 */
describe('no input gets a 5xx', () => {
  let h: VendorHarness;
  let document: OpenApiDocument;
  let templateId: string;

  beforeAll(async () => {
    h = await startVendorHarness();
    document = (await request(h.t.server).get('/docs-json').expect(200)).body as OpenApiDocument;
    templateId = (
      (
        await h.t.http
          .post('/v1/provisioning/templates')
          .send({
            name: 'edges',
            spec: { customers: [{ email: 'c@example.test', firstName: 'C', lastName: 'D' }] },
          })
          .expect(201)
      ).body as { id: string }
    ).id;
  });

  afterAll(async () => {
    await h.close();
  });

  const postRaw = (path: string, body: string, method: 'post' | 'put' | 'patch' = 'post'): request.Test =>
    h.t.http[method](path).set('Content-Type', 'application/json').send(body);

  const expectProblem = (response: request.Response, status: number, code: string): void => {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, code, type: `/v1/problems/${code}` });
    expect(response.status).toBe(status);
  };

  /** Every documented operation with a JSON body, its path ids filled with a random uuid. */
  const bodyRoutes = (): { method: 'post' | 'put' | 'patch'; path: string }[] =>
    Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.requestBody !== undefined)
        .filter(() => !path.startsWith('/v1/webhooks/{'))
        .map(([method]) => ({
          method: method as 'post' | 'put' | 'patch',
          path: path.replace(/\{[^}]+\}/g, randomUUID()),
        })),
    );

  it('refuses JSON nested deeper than the cap on every body route, the anonymous ones included (400)', async () => {
    const routes = bodyRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(13);
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: 'post', path: '/v1/auth/login' },
        { method: 'post', path: '/v1/auth/refresh' },
        { method: 'post', path: '/v1/provisioning/jobs' },
      ]),
    );
    for (const { method, path } of routes) {
      for (const body of [deepArrays(3000), deepObjects(5000)]) {
        const response = await postRaw(path, body, method);
        expectProblem(response, 400, 'BODY_TOO_DEEP');
        expect(response.body.maxDepth).toBe(MAX_JSON_DEPTH);
      }
    }
    // Just inside the cap is parsed and validated as usual.
    const inside = await postRaw('/v1/auth/login', deepArrays(MAX_JSON_DEPTH));
    expectProblem(inside, 400, 'VALIDATION_FAILED');
  });

  it('refuses a too-deep payload on the webhook receiver too, once its signature verified (400)', async () => {
    const source = (
      await h.t.http
        .post('/v1/webhook-sources')
        .send({
          name: 'deep',
          rules: [{ eventType: 'x', action: 'health_check', subscriber: { ipaasCompanyId: 'data.id' } }],
        })
        .expect(201)
    ).body as { id: string; secret: string };
    const body = `{"type":"x","data":${deepObjects(3000)}}`;
    const id = `msg_${randomUUID()}`;
    const timestamp = Math.floor(h.clock.nowMs() / 1000);
    const response = await request(h.t.server)
      .post(`/v1/webhooks/${source.id}`)
      .set({
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(source.secret, id, timestamp, body),
      })
      .send(body);
    expectProblem(response, 400, 'BODY_TOO_DEEP');
    const events = await h.t.http.get(`/v1/webhooks/events?sourceId=${source.id}`).expect(200);
    expect(events.body).toEqual([]);
  });

  it('refuses keys named like Object.prototype members instead of crashing or dropping them (400)', async () => {
    const login = await postRaw('/v1/auth/login', '{"email":"a@b.co","password":{"constructor":{}}}');
    expectProblem(login, 400, 'VALIDATION_FAILED');
    expect(login.body.errors).toEqual([
      { field: 'password.constructor', message: expect.stringMatching(/reserved name/) as string },
    ]);
    const stringConstructor = await postRaw(
      '/v1/auth/login',
      `{"email":"${TEST_ADMIN.email}","password":{"constructor":"x"}}`,
    );
    expectProblem(stringConstructor, 400, 'VALIDATION_FAILED');

    // Job rows' vars, webhook-mapped vars and template variables: refused, naming the key.
    for (const key of ['toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty']) {
      const job = await postRaw(
        '/v1/provisioning/jobs',
        `{"templateId":"${templateId}","mode":"apply","subscribers":[{"subscriberId":"${randomUUID()}","vars":{"${key}":"x","region":"eu"}}]}`,
      );
      expectProblem(job, 400, 'VALIDATION_FAILED');
      expect(job.body.errors).toEqual([
        { field: `subscribers.0.vars.${key}`, message: expect.stringContaining(key) as string },
      ]);
      const source = await postRaw(
        '/v1/webhook-sources',
        `{"name":"p","rules":[{"eventType":"a","action":"onboard","templateId":"${templateId}","subscriber":{"ipaasCompanyId":"data.id"},"vars":{"${key}":"data.x"}}]}`,
      );
      expectProblem(source, 400, 'VALIDATION_FAILED');
      expect(source.body.errors).toEqual([
        { field: `rules.0.vars.${key}`, message: expect.stringContaining(key) as string },
      ]);
    }
    for (const name of ['toString', 'valueOf', 'constructor']) {
      const template = await h.t.http.post('/v1/provisioning/templates').send({
        name: `proto-${name}`,
        spec: {
          variables: [{ name, required: true }],
          customers: [{ email: 'c@example.test', firstName: 'C', lastName: `{{ vars.${name} }}` }],
        },
      });
      expectProblem(template, 400, 'VALIDATION_FAILED');
      expect(template.body.errors).toContainEqual({
        field: 'spec.variables.0.name',
        message: expect.stringContaining(name) as string,
      });
    }
    // A reserved name as a value is fine: only keys are refused.
    await h.t.http
      .post('/v1/provisioning/templates')
      .send({
        name: 'constructor',
        spec: { customers: [{ email: 'c@example.test', firstName: 'toString', lastName: 'valueOf' }] },
      })
      .expect(201);
  });

  it('refuses a template without spec, and a new version with only a description (400)', async () => {
    const create = await h.t.http.post('/v1/provisioning/templates').send({ name: 'no-spec' });
    expectProblem(create, 400, 'VALIDATION_FAILED');
    expect(create.body.errors).toEqual([{ field: 'spec', message: expect.any(String) as string }]);
    const update = await h.t.http
      .put(`/v1/provisioning/templates/${templateId}`)
      .send({ description: 'only a description' });
    expectProblem(update, 400, 'VALIDATION_FAILED');
    expect(update.body.errors).toEqual([{ field: 'spec', message: expect.any(String) as string }]);
    const rule = await h.t.http
      .post('/v1/webhook-sources')
      .send({ name: 'no-subscriber', rules: [{ eventType: 'a', action: 'offboard' }] });
    expectProblem(rule, 400, 'VALIDATION_FAILED');
    expect(rule.body.errors).toEqual([
      { field: 'rules.0.subscriber', message: expect.any(String) as string },
    ]);
  });

  it('bounds pageNumber and pageSize on every list route to what the databases can use (400)', async () => {
    // Real ids in the paths: a guard may answer 404 for an unknown one before the query is validated.
    const subscriber = await h.register(0);
    const job = (
      await h.t.http
        .post('/v1/provisioning/jobs')
        .send({ templateId, mode: 'plan', subscribers: [{ subscriberId: subscriber.id }] })
        .expect(201)
    ).body as { id: string };
    const ids: Record<string, string> = {
      '/v1/subscribers/{id}/health-checks': subscriber.id,
      '/v1/provisioning/templates/{id}/versions': templateId,
      '/v1/provisioning/jobs/{id}/items': job.id,
    };
    const lists = Object.entries(document.paths).flatMap(([path, operations]) =>
      operations.get?.parameters?.some((parameter) => parameter.name === 'pageNumber') === true
        ? [path.replace(/\{[^}]+\}/g, () => ids[path] ?? randomUUID())]
        : [],
    );
    expect(lists.length).toBeGreaterThanOrEqual(14);
    for (const path of lists) {
      for (const pageNumber of ['1e308', '99999999999999999999', '1e16', String(MAX_PAGE_NUMBER + 1)]) {
        const response = await h.t.http.get(path).query({ pageNumber });
        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors).toEqual([
          { field: 'pageNumber', message: `pageNumber must not be greater than ${MAX_PAGE_NUMBER}` },
        ]);
      }
      const size = await h.t.http.get(path).query({ pageSize: '1e308' });
      expectProblem(size, 400, 'VALIDATION_FAILED');
    }
    // The largest page number is a valid, empty page on both databases.
    for (const path of lists) {
      const last = await h.t.http
        .get(path)
        .query({ pageNumber: String(MAX_PAGE_NUMBER), pageSize: '500' })
        .expect(200);
      expect(last.body).toEqual([]);
    }
    // The OpenAPI document says so.
    const parameters = document.paths['/v1/subscribers'].get.parameters ?? [];
    expect(parameters.find((parameter) => parameter.name === 'pageNumber')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE_NUMBER,
    });
    expect(parameters.find((parameter) => parameter.name === 'pageSize')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 500,
    });
  });

  // Found by the fuzz tier (test/fuzz): each answered 500 before.
  it('refuses null for fields that cannot be null instead of writing it (400)', async () => {
    const staff = (
      await h.t.http
        .post('/v1/staff')
        .send({
          email: 'null.check@tenantry.test',
          name: 'Null',
          role: 'viewer',
          password: 'null-check-password',
        })
        .expect(201)
    ).body as { id: string };
    for (const body of [{ disabled: null }, { password: null }, { name: null }, { role: null }]) {
      const response = await h.t.http.patch(`/v1/staff/${staff.id}`).send(body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors[0].field).toBe(Object.keys(body)[0]);
    }
    const source = (
      await h.t.http
        .post('/v1/webhook-sources')
        .send({
          name: 'nulls',
          rules: [{ eventType: 'x', action: 'health_check', subscriber: { ipaasCompanyId: 'data.id' } }],
        })
        .expect(201)
    ).body as { id: string };
    for (const body of [{ enabled: null }, { name: null }, { rateLimitPerSecond: null }]) {
      const response = await h.t.http.patch(`/v1/webhook-sources/${source.id}`).send(body);
      expectProblem(response, 400, 'VALIDATION_FAILED');
    }
    // Where null is a documented value it still clears the field.
    const subscriber = await h.register(1);
    await h.t.http.patch(`/v1/subscribers/${subscriber.id}`).send({ notes: 'x' }).expect(200);
    const cleared = await h.t.http
      .patch(`/v1/subscribers/${subscriber.id}`)
      .send({ notes: null })
      .expect(200);
    expect(cleared.body.notes).toBeNull();
  });

  it('refuses U+0000 and lone surrogates in any body string or key, and %00 in any URL (400)', async () => {
    const subscriber = await h.register(2);
    const cases: [string, string][] = [
      [`/v1/subscribers/${subscriber.id}`, '{"name":"a\\u0000b"}'],
      [`/v1/subscribers/${subscriber.id}`, '{"tags":["ok","x\\u0000"]}'],
      ['/v1/auth/login', '{"email":"a\\ud800b@x.test","password":"correct horse battery staple"}'],
      [
        '/v1/staff',
        '{"email":"a\\udfffb@x.test","name":"n","role":"viewer","password":"correct horse battery"}',
      ],
      [
        '/v1/provisioning/templates',
        '{"name":"t","spec":{"customers":[{"email":"c@example.test","firstName":"\\u0000","lastName":"D"}]}}',
      ],
    ];
    for (const [path, body] of cases) {
      const response = await postRaw(path, body, path.includes('/v1/subscribers/') ? 'patch' : 'post');
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors[0].message).toMatch(/U\+0000.*lone surrogates/);
    }
    // A surrogate pair (an emoji) is well-formed text.
    await postRaw(`/v1/subscribers/${subscriber.id}`, '{"name":"Smile \\ud83d\\ude42"}', 'patch').expect(200);
    for (const url of ['/v1/subscribers?q=a%00b', '/v1/audit?action=x%00', '/v1/webhook-sources/a%00b']) {
      expectProblem(await h.t.http.get(url), 400, 'BAD_REQUEST');
    }
  });

  it('answers a URL or headers over the HTTP parser limit with a problem body too (431)', async () => {
    const response = await h.t.http.get(`/v1/subscribers?q=${'x'.repeat(20_000)}`);
    expectProblem(response, 431, 'HEADERS_TOO_LARGE');
  });
});
