import { Controller, Get, Module } from '@nestjs/common';
import type { Express } from 'express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';

import { Public, Roles } from '../../src/auth/auth.decorators';
import type { StaffRole } from '../../src/auth/roles';
import { startTestApp, type TestApp } from '../utils/test-app';

/** Who may call a route: nobody (no access rule), anyone, any signed-in caller, or at least a role. */
type Expected = 'nobody' | 'public' | 'authenticated' | StaffRole;

// Test-only routes that pin the guard's rules: no decorator denies everyone; the handler's decorator wins.
@Controller('test-access')
class AccessRulesController {
  @Get('undecorated')
  undecorated(): string {
    return 'should never be served';
  }
}

@Controller('test-access/public-class')
@Public()
class PublicClassController {
  @Get('admin-handler')
  @Roles('admin')
  adminHandler(): string {
    return 'admin only';
  }
}

@Controller('test-access/admin-class')
@Roles('admin')
class AdminClassController {
  @Get('public-handler')
  @Public()
  publicHandler(): string {
    return 'anyone';
  }
}

@Module({ controllers: [AccessRulesController, PublicClassController, AdminClassController] })
class AccessRulesModule {}

/**
 * Every route of the router, keyed `METHOD /path` as Express names it. A new route fails this test until it
 * is added here with its minimum role; a row whose route does not exist fails it too.
 */
const ACCESS: Record<string, Expected> = {
  // Service routes and the OpenAPI document.
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'GET /docs': 'public',
  'GET /docs/': 'public',
  'GET /docs/index.html': 'public',
  'GET /docs/LICENSE': 'public',
  'GET /docs/swagger-ui-init.js': 'public',
  'GET /docs/docs/swagger-ui-init.js': 'public',
  'GET /docs-json': 'public',
  'GET /v1/problems': 'public',
  'GET /v1/problems/:code': 'public',

  // Sign-in.
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/refresh': 'public',
  'POST /v1/auth/logout': 'authenticated',
  'GET /v1/auth/me': 'authenticated',

  // Admin areas.
  'POST /v1/staff': 'admin',
  'GET /v1/staff': 'admin',
  'GET /v1/staff/:id': 'admin',
  'PATCH /v1/staff/:id': 'admin',
  'DELETE /v1/staff/:id': 'admin',
  'POST /v1/api-keys': 'admin',
  'GET /v1/api-keys': 'admin',
  'DELETE /v1/api-keys/:id': 'admin',
  'POST /v1/api-keys/:id/transfer': 'admin',
  'GET /v1/misp-account': 'viewer',
  'PUT /v1/misp-account': 'admin',

  // Subscriber registry and relationship lifecycle.
  'GET /v1/subscribers': 'viewer',
  'GET /v1/subscribers/:id': 'viewer',
  'POST /v1/subscribers': 'operator',
  'PATCH /v1/subscribers/:id': 'operator',
  'DELETE /v1/subscribers/:id': 'operator',
  'POST /v1/subscribers/sync': 'operator',
  'POST /v1/subscribers/:id/approve': 'operator',
  'POST /v1/subscribers/:id/deny': 'operator',
  'POST /v1/subscribers/:id/role-shares': 'operator',
  'POST /v1/subscribers/:id/suspend': 'operator',
  'POST /v1/subscribers/:id/resume': 'operator',
  'POST /v1/subscribers/:id/offboard': 'operator',

  // Company credentials.
  'GET /v1/subscribers/:id/credential': 'viewer',
  'PUT /v1/subscribers/:id/credential': 'operator',
  'DELETE /v1/subscribers/:id/credential': 'operator',
  'POST /v1/subscribers/:id/credential/verify': 'operator',
  'POST /v1/subscribers/:id/quota/reset': 'operator',

  // Audit trail.
  'GET /v1/audit': 'viewer',
  'GET /v1/audit/export': 'viewer',
  'POST /v1/audit/verify': 'admin',
  // Alerts (src/alerts).
  'POST /v1/alert-destinations': 'admin',
  'GET /v1/alert-destinations': 'admin',
  'POST /v1/alert-destinations/:id/rotate-secret': 'admin',
  'DELETE /v1/alert-destinations/:id': 'admin',
  'GET /v1/alerts': 'viewer',

  // Inbound webhooks (src/webhooks).
  'POST /v1/webhook-sources': 'admin',
  'GET /v1/webhook-sources': 'admin',
  'GET /v1/webhook-sources/:id': 'admin',
  'PATCH /v1/webhook-sources/:id': 'admin',
  'DELETE /v1/webhook-sources/:id': 'admin',
  'POST /v1/webhook-sources/:id/secrets': 'admin',
  'DELETE /v1/webhook-sources/:id/secrets/:secretId': 'admin',
  'POST /v1/webhooks/:sourceId': 'public',
  'GET /v1/webhooks/events': 'viewer',
  'GET /v1/webhooks/events/:id': 'viewer',
  'POST /v1/webhooks/events/:id/replay': 'admin',

  // Provisioning templates.
  'GET /v1/provisioning/templates': 'viewer',
  'GET /v1/provisioning/templates/:id': 'viewer',
  'GET /v1/provisioning/templates/:id/versions': 'viewer',
  'POST /v1/provisioning/templates': 'operator',
  'PUT /v1/provisioning/templates/:id': 'operator',

  // Provisioning jobs.
  'POST /v1/provisioning/jobs': 'operator',
  'GET /v1/provisioning/jobs': 'viewer',
  'GET /v1/provisioning/jobs/:id': 'viewer',
  'GET /v1/provisioning/jobs/:id/items': 'viewer',
  'GET /v1/provisioning/jobs/:id/events': 'viewer',
  'GET /v1/provisioning/jobs/:id/report': 'viewer',
  'POST /v1/provisioning/jobs/:id/cancel': 'operator',
  'POST /v1/provisioning/jobs/:id/retry': 'operator',
  'POST /v1/provisioning/jobs/:id/resume': 'operator',

  // Health checks.
  'POST /v1/subscribers/:id/health-checks': 'operator',
  'GET /v1/subscribers/:id/health-checks': 'viewer',
  'POST /v1/health-checks/run': 'operator',
  'GET /v1/health-checks/summary': 'viewer',

  // This file's own routes (see AccessRulesModule).
  'GET /v1/test-access/undecorated': 'nobody',
  'GET /v1/test-access/public-class/admin-handler': 'admin',
  'GET /v1/test-access/admin-class/public-handler': 'public',
};

type Caller = 'anonymous' | StaffRole;
const CALLERS: Caller[] = ['anonymous', 'viewer', 'operator', 'admin'];

function allowed(expected: Expected, caller: Caller): boolean {
  switch (expected) {
    case 'nobody':
      return false;
    case 'public':
      return true;
    case 'authenticated':
      return caller !== 'anonymous';
    case 'viewer':
      return caller !== 'anonymous';
    case 'operator':
      return caller === 'operator' || caller === 'admin';
    case 'admin':
      return caller === 'admin';
  }
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every (method, path) the Express router serves, as `METHOD /path`. */
function routerRoutes(app: TestApp['app']): string[] {
  const express: Express = app.getHttpAdapter().getInstance();
  const routes = (express.router.stack as unknown as RouterLayer[])
    // Nest mounts module middleware (metrics, logging) on a catch-all route; those are not endpoints.
    .filter((layer) => layer.route !== undefined && layer.route.path !== '/{*path}')
    .flatMap((layer) => {
      const route = layer.route as NonNullable<RouterLayer['route']>;
      return Object.keys(route.methods).map((method) => `${method.toUpperCase()} ${route.path}`);
    });
  return [...new Set(routes)];
}

// Params only need the right shape: a caller who is let through may well get 400 or 404.
const DUMMY_PARAMS: Record<string, string> = { code: 'NOT_FOUND' };
const DUMMY_ID = '00000000-0000-4000-8000-000000000000';

function send(agent: TestAgent, route: string): request.Test {
  const [method = '', pattern = ''] = route.split(' ');
  const path = pattern.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => DUMMY_PARAMS[name] ?? DUMMY_ID);
  const call = agent[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path);
  return method === 'GET' || method === 'DELETE' ? call : call.send({});
}

describe('route access matrix: every route for anonymous, viewer, operator and admin callers', () => {
  let t: TestApp;
  let routes: string[];
  const agents = {} as Record<Caller, TestAgent>;

  beforeAll(async () => {
    t = await startTestApp(
      // An unreachable vendor without retries: routes that call it fail fast (that is fine here).
      { IPAAS_BASE_URL: 'http://127.0.0.1:9', IPAAS_MAX_RETRIES: '0', IPAAS_TIMEOUT_MS: '1000' },
      { imports: [AccessRulesModule] },
    );
    routes = routerRoutes(t.app);
    agents.anonymous = request.agent(t.server);
    agents.viewer = await t.as('viewer');
    agents.operator = await t.as('operator');
    agents.admin = await t.as('admin');
  });

  afterAll(async () => {
    await t.close();
  });

  it('has an expected access for every route of the router', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((route) => ACCESS[route] === undefined)).toEqual([]);
  });

  it.each(CALLERS)(
    'lets %s through exactly where the table allows, and refuses it elsewhere',
    async (caller) => {
      const outcomes: string[] = [];
      const mismatches: string[] = [];
      for (const route of routes.filter((candidate) => ACCESS[candidate] !== undefined)) {
        const expected = ACCESS[route];
        const response = await send(agents[caller], route);
        if (allowed(expected, caller)) {
          outcomes.push(`${route} → ${response.status}`);
          if (response.status === 401 || response.status === 403) {
            mismatches.push(`${route}: expected to pass as ${caller}, got ${response.status}`);
          }
          continue;
        }
        const refusal = caller === 'anonymous' ? 401 : 403;
        if (response.status !== refusal) {
          mismatches.push(`${route}: expected ${refusal} for ${caller}, got ${response.status}`);
          continue;
        }
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body.code).toBe(refusal === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
        if (refusal === 401) {
          expect(response.headers['www-authenticate']).toBe('Bearer');
        }
      }
      expect(mismatches).toEqual([]);
      // A server error would hide whether the guard let the caller through.
      expect(outcomes.filter((outcome) => / 5\d\d$/.test(outcome) && !/ 503$/.test(outcome))).toEqual([]);
    },
  );

  it('refuses a route without an access rule to everyone, signed in or not', async () => {
    await agents.anonymous.get('/v1/test-access/undecorated').expect(401);
    const refused = await agents.admin.get('/v1/test-access/undecorated').expect(403);
    expect(refused.body.detail).toMatch(/no access rule/);
  });

  it('lists no route that the router does not serve (remove or fix stale rows)', () => {
    expect(Object.keys(ACCESS).filter((route) => !routes.includes(route))).toEqual([]);
  });
});
