import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

import fc from 'fast-check';

import { signWebhook } from '../../src/common/standard-webhooks';
import { type StartedEmulator } from '../../src/ipaas-emulator';
import { createApiKey } from '../utils/test-app';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';
import { WebhookReceiver } from '../utils/webhook-receiver';
import { guardLoopbackOnly } from './loopback-guard';
import {
  type FuzzValues,
  rewriteUrls,
  RawJson,
  type Schema,
  SchemaArbitraries,
  toJsonText,
  toParameterText,
} from './openapi-arbitraries';

/**
 * The fuzz tier: for every operation of the app's own OpenAPI document, generated valid, boundary and
 * hostile requests (fast-check arbitraries derived from the schemas) as an admin. Fails on any 5xx, any
 * answer slower than 5 s, and any error body that is not problem+json with type, title, status and code.
 * Seeded (FUZZ_SEED repeats a run), bounded (FUZZ_RUNS requests per operation, FUZZ_BUDGET_MS in all), and
 * never off loopback: URL-looking strings go to a local sink, and any other connection is refused.
 */
const SEED = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31 - 1));
const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 90_000);
const MIN_RUNS = 5;
const SLOW_MS = 5000;
const REPEAT = `FUZZ_SEED=${SEED}`;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: Method;
  path: string;
  parameters: Parameter[];
  body: Schema | undefined;
}
interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, { parameters?: Parameter[]; requestBody?: unknown }>>>;
  components: { schemas: Record<string, Schema> };
}
interface FuzzRequest {
  method: Method;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body: { text: string; type: string } | undefined;
}

const openApi = JSON.parse(readFileSync(process.env.FUZZ_OPENAPI_FILE ?? '', 'utf8')) as OpenApiDocument;

/**
 * Reads first, then writes, then what destroys state the rest needs (deletes, offboards, signing out,
 * replacing the MiSP login), so every operation meets real resources.
 */
function phaseOf(operation: Operation): number {
  const { method, path } = operation;
  if (path === '/v1/misp-account' && method !== 'get') {
    return 4;
  }
  if (path === '/v1/auth/logout') {
    return 3;
  }
  if (method === 'delete' || /\/(offboard|deny)$/.test(path)) {
    return 2;
  }
  return method === 'get' ? 0 : 1;
}

const operations: Operation[] = Object.entries(openApi.paths)
  .flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method as Method,
      path,
      parameters: operation?.parameters ?? [],
      body: (operation?.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)
        ?.content?.['application/json']?.schema,
    })),
  )
  .sort((a, b) => phaseOf(a) - phaseOf(b));

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The collection a path's `{id}` belongs to: `/v1/staff/{id}/…` → `/v1/staff`. */
function collectionOf(path: string, parameter: string): string {
  const marker = `{${parameter}}`;
  const before = path.slice(0, path.indexOf(marker)).replace(/\/$/, '');
  return before === '/v1/webhooks' ? '/v1/webhook-sources' : before;
}

describe(`fuzz: every operation of the OpenAPI document (${REPEAT})`, () => {
  let h: VendorHarness;
  let emulator: StartedEmulator;
  let baseUrl: string;
  let sink: WebhookReceiver;
  let sinkUrl: string;
  let guard: ReturnType<typeof guardLoopbackOnly>;
  let arbitraries: SchemaArbitraries;
  const started = Date.now();
  /** Real ids per collection path; grown by what the fuzzer itself creates. */
  const pools = new Map<string, string[]>();
  /** Values by hint for bodies and queries. */
  const realValues = new Map<string, string[]>();
  const webhookSecrets = new Map<string, string>();
  /** Answers by status over the whole run (printed at the end: what the generated requests reached). */
  const statuses = new Map<number, number>();
  const eventTypes = ['customer.signed_up', 'customer.cancelled', 'customer.check'];
  /** The admin API key every request is sent with (the pool never holds an admin key or the admin). */
  let adminKey: string;
  let adminStaffId: string;

  const pool = (collection: string): string[] => {
    let ids = pools.get(collection);
    if (ids === undefined) {
      pools.set(collection, (ids = []));
    }
    return ids;
  };
  const addReal = (hint: string, value: string): void => {
    realValues.set(hint, [...(realValues.get(hint) ?? []), value]);
  };
  const api = async (method: Method, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const agent = h.t.http[method](path);
    const response = await (body === undefined ? agent : agent.send(body as object));
    if (response.status >= 300) {
      throw new Error(`seeding ${method} ${path}: ${response.status} ${response.text}`);
    }
    return response.body as Record<string, unknown>;
  };

  beforeAll(async () => {
    process.stdout.write(
      `fuzz: ${operations.length} operations, ${RUNS} requests each; repeat with ${REPEAT}\n`,
    );
    guard = guardLoopbackOnly();
    sink = new WebhookReceiver();
    sinkUrl = await sink.start();
    h = await startVendorHarness({
      env: { PROVISIONING_POLL_MS: '50', WEBHOOK_WORKER_POLL_MS: '50', ALERT_DELIVERY_POLL_MS: '200' },
      emulator: { seed: { subscribers: 16, pendingRequests: 2 } },
    });
    emulator = h.emulator;
    await h.t.app.listen(0, '127.0.0.1');
    adminKey = await createApiKey(h.t.server, 'admin');
    baseUrl = `http://127.0.0.1:${(h.t.app.getHttpServer().address() as AddressInfo).port}`;
    await seedState();
    arbitraries = new SchemaArbitraries(openApi.components.schemas, values());
  }, 120_000);

  afterAll(async () => {
    const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
    const byStatus = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}: ${count}`);
    process.stdout.write(
      `fuzz: ${total} requests in ${((Date.now() - started) / 1000).toFixed(0)} s (${byStatus.join(', ')}); ` +
        `${sink.requests.length} deliveries reached the loopback sink; ${REPEAT}\n`,
    );
    await h?.close();
    await sink?.stop();
    guard?.restore();
  });

  /** Real resources of every kind, so path ids and body references hit something. */
  async function seedState(): Promise<void> {
    const me = await api('get', '/v1/auth/me');
    adminStaffId = String(me.id);
    const companies = emulator.control.subscriberCompanyIds();
    for (const companyId of companies) {
      addReal('ipaascompanyid', companyId);
    }
    addReal(
      'ipaascompanyid',
      emulator.control.createSubscriberRequest({ companyName: 'Fuzz Pending' }).companyId,
    );
    addReal('ipaascompanyid', 'acme-co');
    for (let index = 0; index < 4; index += 1) {
      const { id } = await h.register(index);
      pool('/v1/subscribers').push(id);
      addReal('subscriberid', id);
    }
    await api('put', `/v1/subscribers/${pool('/v1/subscribers')[0]}/credential`, { kind: 'company_session' });
    await api('post', `/v1/subscribers/${pool('/v1/subscribers')[0]}/health-checks`);
    await api('post', `/v1/subscribers/${pool('/v1/subscribers')[3]}/suspend`);

    const staff = await api('post', '/v1/staff', {
      email: 'fuzz.viewer@tenantry.test',
      name: 'Fuzz Viewer',
      role: 'viewer',
      password: 'fuzz-viewer-password-1',
    });
    pool('/v1/staff').push(String(staff.id));
    const key = await api('post', '/v1/api-keys', { name: 'fuzz viewer key', role: 'viewer' });
    pool('/v1/api-keys').push(String(key.id));

    const template = await api('post', '/v1/provisioning/templates', {
      name: 'fuzz-template',
      spec: {
        variables: [{ name: 'region', default: 'eu' }],
        users: [{ email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'Op', lastName: 'Erator' }],
        customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: '{{vars.region}}' }],
      },
    });
    pool('/v1/provisioning/templates').push(String(template.id));
    addReal('templateid', String(template.id));
    const plan = await api('post', '/v1/provisioning/jobs', {
      templateId: template.id,
      mode: 'plan',
      subscribers: [{ subscriberId: pool('/v1/subscribers')[1] }],
    });
    const apply = await api('post', '/v1/provisioning/jobs', {
      templateId: template.id,
      mode: 'apply',
      subscribers: [{ subscriberId: pool('/v1/subscribers')[2], vars: { region: 'us' } }],
    });
    pool('/v1/provisioning/jobs').push(String(plan.id), String(apply.id));
    addReal('planid', String(plan.id));
    addReal('jobid', String(apply.id));

    const destination = await api('post', '/v1/alert-destinations', { name: 'fuzz sink', url: sinkUrl });
    pool('/v1/alert-destinations').push(String(destination.id));

    const source = await api('post', '/v1/webhook-sources', {
      name: 'fuzz billing',
      rateLimitPerSecond: 1000,
      rules: [
        {
          eventType: 'customer.signed_up',
          action: 'onboard',
          templateId: template.id,
          subscriber: { ipaasCompanyId: 'data.companyId', name: 'data.name' },
          vars: { region: 'data.region' },
        },
        {
          eventType: 'customer.cancelled',
          action: 'offboard',
          subscriber: { ipaasCompanyId: 'data.companyId' },
        },
        {
          eventType: 'customer.check',
          action: 'health_check',
          subscriber: { ipaasCompanyId: 'data.companyId' },
        },
      ],
    });
    const sourceId = String(source.id);
    pool('/v1/webhook-sources').push(sourceId);
    addReal('sourceid', sourceId);
    webhookSecrets.set(sourceId, String(source.secret));
    const secret = await api('post', `/v1/webhook-sources/${sourceId}/secrets`);
    pool('/v1/webhook-sources/secrets').push(String(secret.id));
    const delivery = await deliverWebhook(
      `/v1/webhooks/${sourceId}`,
      sourceId,
      JSON.stringify({
        type: 'customer.check',
        data: { companyId: companies[0] },
      }),
    );
    if (delivery.status !== 202) {
      throw new Error(`seeding a webhook event: ${delivery.status} ${await delivery.text()}`);
    }
    pool('/v1/webhooks/events').push(String(((await delivery.json()) as { eventId: string }).eventId));

    pool('/v1/problems').push('VALIDATION_FAILED', 'SUBSCRIBER_UNKNOWN_AT_VENDOR', 'NOPE');
    const login = await fetch(`${baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@tenantry.test', password: 'test-admin-password-1' }),
    });
    addReal('refresh_token', ((await login.json()) as { refresh_token: string }).refresh_token);
    addReal('email', 'admin@tenantry.test');
  }

  function values(): FuzzValues {
    return {
      sinkUrl,
      real: (hint) => {
        const known = realValues.get(hint);
        return known === undefined || known.length === 0 ? undefined : fc.constantFrom(...known);
      },
    };
  }

  function deliverWebhook(
    path: string,
    sourceId: string,
    text: string,
    sign = true,
    stale = false,
  ): Promise<Response> {
    const id = `msg_${randomUUID()}`;
    const timestamp = Math.floor(h.clock.nowMs() / 1000) - (stale ? 3600 : 0);
    const secret = webhookSecrets.get(sourceId);
    return fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature':
          sign && secret !== undefined ? signWebhook(secret, id, timestamp, text) : 'v1,bm90IGEgc2lnbmF0dXJl',
      },
      body: text,
      signal: AbortSignal.timeout(SLOW_MS + 2000),
    });
  }

  const HOSTILE_PATH = fc.oneof(
    fc.uuid(),
    fc.constantFrom(
      '0',
      '-1',
      'null',
      '..',
      '%2e%2e',
      'a'.repeat(300),
      '00000000-0000-0000-0000-000000000000',
      ' ',
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  );

  function pathValue(operation: Operation, parameter: string): fc.Arbitrary<string> {
    const collection =
      parameter === 'secretId' ? '/v1/webhook-sources/secrets' : collectionOf(operation.path, parameter);
    const real = pool(collection).filter((id) => id !== adminStaffId);
    return real.length === 0
      ? HOSTILE_PATH
      : fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...real) }, { weight: 2, arbitrary: HOSTILE_PATH });
  }

  const headerText = fc.oneof(
    fc.uuid(),
    fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      maxLength: 300,
    }),
    fc.constantFrom('', ' ', 'x'.repeat(1000), '0', '-1', '99999999999999999999', 'é'),
  );

  function requestArbitrary(operation: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path');
    const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query');
    const headerParameters = operation.parameters.filter((parameter) => parameter.in === 'header');
    const path = fc
      .tuple(...pathParameters.map((parameter) => pathValue(operation, parameter.name)))
      .map((values) =>
        pathParameters.reduce(
          (filled, parameter, index) => filled.replace(`{${parameter.name}}`, encodeComponent(values[index])),
          operation.path,
        ),
      );
    const queryValue = (parameter: Parameter): fc.Arbitrary<string> =>
      fc
        .oneof(
          { weight: 4, arbitrary: arbitraries.valid(parameter.schema, parameter.name) },
          { weight: 2, arbitrary: arbitraries.boundary(parameter.schema) },
          { weight: 2, arbitrary: arbitraries.hostile(parameter.schema) },
        )
        .map((value) => {
          const text = toParameterText(rewriteUrls(value, sinkUrl));
          return text.slice(0, 2000);
        });
    const query = fc
      .tuple(
        ...queryParameters.map((parameter) =>
          fc.option(fc.array(queryValue(parameter), { minLength: 1, maxLength: 2 }), { freq: 2 }),
        ),
        fc.option(fc.constantFrom('zz', 'pageNumber', '__proto__', 'constructor[x]', 'a[b][c]'), { freq: 8 }),
      )
      .map((values) => {
        const pairs: [string, string][] = [];
        queryParameters.forEach((parameter, index) => {
          for (const value of (values[index] as string[] | null) ?? []) {
            pairs.push([parameter.name, value]);
          }
        });
        const extra = values[queryParameters.length] as string | null;
        if (extra !== null) {
          pairs.push([extra, '1']);
        }
        return pairs;
      });
    const headers = fc
      .tuple(...headerParameters.map(() => fc.option(headerText, { freq: 3 })))
      .map((values) =>
        Object.fromEntries(
          headerParameters.flatMap((parameter, index) =>
            values[index] === null ? [] : [[parameter.name, values[index]]],
          ),
        ),
      );
    const body =
      operation.body === undefined
        ? fc.constant(undefined)
        : fc.oneof(
            {
              weight: 14,
              arbitrary: arbitraries.value(operation.body).map((value) => ({
                text: toJsonText(rewriteUrls(value, sinkUrl)),
                type: 'application/json',
              })),
            },
            { weight: 1, arbitrary: fc.constant(undefined) },
            {
              weight: 2,
              arbitrary: fc
                .constantFrom(
                  '{',
                  '[1,',
                  'nul',
                  '"text"',
                  '1e308',
                  '',
                  '\u0000',
                  '{"a":1,"a":2}',
                  '[]',
                  'null',
                )
                .map((text) => ({ text, type: 'application/json' })),
            },
            {
              // The attacks issue 14 found by hand, so a regression is found within a run.
              weight: 1,
              arbitrary: fc
                .constantFrom(
                  '['.repeat(3000) + ']'.repeat(3000),
                  '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
                  '{"constructor":{}}',
                  '{"__proto__":{"role":"admin"}}',
                  '{"toString":"x","valueOf":"y"}',
                )
                .map((text) => ({ text, type: 'application/json' })),
            },
            {
              weight: 1,
              arbitrary: arbitraries
                .valid(operation.body)
                .map((value) => ({ text: toJsonText(rewriteUrls(value, sinkUrl)), type: 'text/plain' })),
            },
            {
              weight: 1,
              arbitrary: fc.constant({
                text: JSON.stringify({ big: 'x'.repeat(1_200_000) }),
                type: 'application/json',
              }),
            },
          );
    return fc.record({
      method: fc.constant(operation.method),
      path,
      query,
      headers,
      body,
    });
  }

  /** The receiver is called by billing systems, not staff: signed payloads (mostly), mapped or not. */
  function webhookPayload(): fc.Arbitrary<{ text: string; sign: boolean; stale: boolean }> {
    const companies = realValues.get('ipaascompanyid') ?? [];
    const event = fc
      .record({
        type: fc.oneof(fc.constantFrom(...eventTypes), arbitraries.hostile(undefined)),
        data: fc.record(
          {
            companyId: fc.oneof(fc.constantFrom(...companies), fc.uuid(), arbitraries.hostile(undefined)),
            name: fc.oneof(fc.string({ maxLength: 30 }), arbitraries.hostile(undefined)),
            region: fc.oneof(fc.constantFrom('eu', 'us'), arbitraries.hostile(undefined)),
          },
          { requiredKeys: [] },
        ),
      })
      .map((value) => toJsonText(rewriteUrls(value, sinkUrl)));
    return fc.record({
      text: fc.oneof(
        { weight: 6, arbitrary: event },
        { weight: 1, arbitrary: arbitraries.hostile(undefined).map((value) => toJsonText(value)) },
        { weight: 1, arbitrary: fc.constantFrom('{', '', 'not json', new RawJson('[]').text) },
      ),
      sign: fc.constantFrom(true, true, true, false),
      stale: fc.constantFrom(false, false, false, false, true),
    });
  }

  function encodeComponent(value: string): string {
    try {
      return encodeURIComponent(value);
    } catch {
      // A lone surrogate cannot be percent-encoded: send the replacement character, as a browser would.
      return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\ufffd'));
    }
  }

  async function send(request: FuzzRequest): Promise<Response> {
    const url = new URL(`${baseUrl}${request.path}`);
    for (const [name, value] of request.query) {
      url.searchParams.append(name, value);
    }
    return fetch(url, {
      method: request.method.toUpperCase(),
      headers: {
        'X-API-Key': adminKey,
        ...request.headers,
        ...(request.body === undefined ? {} : { 'content-type': request.body.type }),
      },
      body: request.body?.text,
      signal: AbortSignal.timeout(SLOW_MS + 2000),
    });
  }

  /** What is wrong with one answer: a 5xx, slowness, or an error body that is not problem+json. */
  async function verdictOf(
    response: Response,
    startedAt: number,
  ): Promise<{ verdict: string | undefined; text: string }> {
    let text = '';
    const verdict = (value: string | undefined): { verdict: string | undefined; text: string } => ({
      verdict: value,
      text,
    });
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      await response.body?.cancel();
    } else {
      text = await response.text();
    }
    const elapsed = performance.now() - startedAt;
    const status = response.status;
    const excerpt = text.slice(0, 300);
    if (status >= 500) {
      return verdict(`answered ${status}: ${excerpt}`);
    }
    if (elapsed > SLOW_MS) {
      return verdict(`answered after ${Math.round(elapsed)} ms (over ${SLOW_MS} ms)`);
    }
    if (status >= 400) {
      if (!type.startsWith('application/problem+json')) {
        return verdict(`error ${status} with content-type "${type}": ${excerpt}`);
      }
      let problem: Record<string, unknown>;
      try {
        problem = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return verdict(`error ${status} whose body is not JSON: ${excerpt}`);
      }
      const missing = ['type', 'title', 'code'].filter((field) => typeof problem[field] !== 'string');
      if (missing.length > 0 || problem.status !== status) {
        return verdict(`error ${status} is not a problem with type, title, status and code: ${excerpt}`);
      }
    }
    return verdict(undefined);
  }

  function remember(operation: Operation, body: unknown): void {
    if (operation.method !== 'post' || typeof body !== 'object' || body === null) {
      return;
    }
    const { id, secret } = body as { id?: unknown; secret?: unknown };
    if (typeof id === 'string' && !operation.path.includes('{')) {
      pool(operation.path).push(id);
      if (operation.path === '/v1/webhook-sources' && typeof secret === 'string') {
        webhookSecrets.set(id, secret);
      }
    }
  }

  const describeRequest = (request: FuzzRequest): string =>
    JSON.stringify({
      ...request,
      body:
        request.body === undefined ? undefined : { ...request.body, text: request.body.text.slice(0, 400) },
    }).slice(0, 1200);

  operations.forEach((operation, index) => {
    const title = `${operation.method.toUpperCase()} ${operation.path}`;
    it(title, async () => {
      const seed = SEED + index;
      const isReceiver = operation.path === '/v1/webhooks/{sourceId}';
      const perOperationMs = Math.max(
        1000,
        (BUDGET_MS - (Date.now() - started)) / Math.max(1, operations.length - index),
      );
      const cases = fc.sample(
        fc.tuple(requestArbitrary(operation), isReceiver ? webhookPayload() : fc.constant(undefined)),
        { seed, numRuns: RUNS },
      );
      const failures: string[] = [];
      const operationStarted = performance.now();
      for (const [caseIndex, [request, payload]] of cases.entries()) {
        if (caseIndex >= MIN_RUNS && performance.now() - operationStarted > perOperationMs) {
          break;
        }
        const startedAt = performance.now();
        let verdict: string | undefined;
        try {
          const response =
            payload === undefined
              ? await send(request)
              : await deliverWebhook(
                  request.path,
                  decodeURIComponent(request.path.split('/').pop() ?? ''),
                  payload.text,
                  payload.sign,
                  payload.stale,
                );
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const judged = await verdictOf(response, startedAt);
          verdict = judged.verdict;
          if (verdict === undefined && response.status === 201) {
            remember(operation, parseJson(judged.text));
          }
        } catch (error) {
          verdict =
            error instanceof Error && error.name === 'TimeoutError'
              ? `no answer within ${SLOW_MS + 2000} ms`
              : `request failed: ${error instanceof Error ? error.message : String(error)}`;
        }
        if (verdict !== undefined) {
          failures.push(`case ${caseIndex}: ${verdict}\n    request: ${describeRequest(request)}`);
        }
      }
      if (failures.length > 0) {
        throw new Error(
          `${title}: ${failures.length} bad answer(s) (repeat with ${REPEAT})\n${failures.join('\n')}`,
        );
      }
    });
  });

  it('never connected anywhere but loopback (every URL went to the sink)', () => {
    expect(guard.attempts).toEqual([]);
  });
});
