import type { Express } from 'express';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { startTestApp, type TestApp } from '../utils/test-app';

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every (method, path) the Express router serves, in OpenAPI path syntax. */
function routerRoutes(app: TestApp['app']): string[] {
  const express: Express = app.getHttpAdapter().getInstance();
  return (
    (express.router.stack as unknown as RouterLayer[])
      // Nest mounts module middleware (metrics, logging) on a catch-all route; those are not endpoints.
      .filter((layer) => layer.route !== undefined && layer.route.path !== '/{*path}')
      .flatMap((layer) => {
        const route = layer.route as NonNullable<RouterLayer['route']>;
        const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        return Object.keys(route.methods).map((method) => `${method.toUpperCase()} ${path}`);
      })
      // Swagger UI serves itself; it is the document, not a route of it.
      .filter((route) => !/ \/docs/.test(route))
  );
}

describe('service routes: health, readiness, metrics, OpenAPI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('serves liveness without touching dependencies', async () => {
    const response = await request(t.server).get('/healthz').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('reports the database in readiness', async () => {
    const response = await request(t.server).get('/readyz').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('serves Prometheus text with process metrics and a latency histogram by route, method and status', async () => {
    await request(t.server).get('/v1/problems?pageSize=2').expect(200);
    await request(t.server).get('/v1/problems/NOPE').expect(404);
    await request(t.server).get('/v1/unknown/123').expect(404);
    const response = await request(t.server).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain('process_cpu_user_seconds_total');
    expect(response.text).toContain('nodejs_heap_size_used_bytes');
    expect(response.text).toMatch(
      /http_request_duration_seconds_count\{route="\/v1\/problems",method="GET",status="200"\} 1/,
    );
    expect(response.text).toMatch(
      /http_request_duration_seconds_count\{route="\/v1\/problems\/:code",method="GET",status="404"\} 1/,
    );
    // Unknown URLs are folded into one label value, so a scanner cannot explode the series count.
    expect(response.text).toMatch(
      /http_request_duration_seconds_count\{route="unmatched",method="GET",status="404"\} 1/,
    );
    expect(response.text).not.toContain('/v1/unknown/123');
  });

  it('serves Swagger UI at /docs and the document at /docs-json', async () => {
    const ui = await request(t.server).get('/docs').expect(200);
    expect(ui.text).toContain('swagger');
    const document = await request(t.server).get('/docs-json').expect(200);
    expect(document.body.openapi).toMatch(/^3\./);
  });

  it('documents every route of the router, with problem responses and the X-Pagination header', async () => {
    const document = (await request(t.server).get('/docs-json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { headers?: object; content?: object }> }>
      >;
    };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = routerRoutes(t.app);
    expect(served.length).toBeGreaterThan(4);
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);

    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path.startsWith('/v1/')) {
          expect([method, path, operation.responses['400']?.content]).toEqual([
            method,
            path,
            { 'application/problem+json': expect.anything() as unknown },
          ]);
        }
      }
    }
    expect(document.paths['/v1/problems']?.get?.responses['200']?.headers).toHaveProperty('X-Pagination');
  });

  it('reports not ready, as a 503 problem, when the database is gone', async () => {
    const other = await startTestApp();
    try {
      await other.app.get(DataSource).destroy();
      const response = await request(other.server).get('/readyz').expect(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', checks: { status: 'error' } });
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});
