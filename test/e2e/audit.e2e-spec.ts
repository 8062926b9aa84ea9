import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';

import { ChainVerifier } from '../../src/audit/audit-chain';
import { AuditChainHeadEntity } from '../../src/audit/audit-chain-head.entity';
import { AuditEventEntity } from '../../src/audit/audit-event.entity';
import { AuditRepository, type NewAuditRow } from '../../src/audit/audit.repository';
import { AuditService } from '../../src/audit/audit.service';
import { CompanyTokensService } from '../../src/company-context/company-tokens.service';
import { CompanyVendorService } from '../../src/company-context/company-vendor.service';
import { Transactions } from '../../src/database/transactions';
import type { AppConfig } from '../../src/config/app-config';
import {
  describeOnPostgres,
  type PostgresInstances,
  startPostgresInstances,
} from '../utils/postgres-instances';
import { agentWithKey, createApiKey, TEST_ADMIN, type TestApp } from '../utils/test-app';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

interface AuditRow {
  seq: number;
  id: string;
  at: number;
  actor_kind: string;
  actor_id: string | null;
  actor_label: string;
  action: string;
  subscriber_id: string | null;
  target: string | null;
  request_id: string | null;
  outcome: string;
  details: string | null;
  prev_hash: string;
  hash: string;
}

interface KeyInfo {
  id: string;
  name: string;
  secret: string;
  agent: TestAgent;
}

describe('audit trail', () => {
  let h: VendorHarness;
  let t: TestApp;
  let audit: AuditService;
  let dataSource: DataSource;
  let operator: KeyInfo;
  let viewer: KeyInfo;
  /** Every secret the test handles; none may appear anywhere in the audit table. */
  const secrets: string[] = [TEST_ADMIN.password, 'sandbox-pass'];

  const rows = async (): Promise<AuditRow[]> => {
    await audit.flush();
    return dataSource.query<AuditRow[]>('SELECT * FROM audit_events ORDER BY seq');
  };
  const rowsWhere = async (predicate: (row: AuditRow) => boolean): Promise<AuditRow[]> =>
    (await rows()).filter(predicate);
  const byRequestId = async (requestId: string): Promise<AuditRow[]> =>
    rowsWhere((row) => row.request_id === requestId);

  const keyOfRole = async (role: 'viewer' | 'operator'): Promise<KeyInfo> => {
    const secret = await createApiKey(t.server, role);
    secrets.push(secret);
    const keys = (await t.http.get('/v1/api-keys?pageSize=500').expect(200)).body as {
      id: string;
      name: string;
    }[];
    const key = keys[keys.length - 1];
    return { id: key.id, name: key.name, secret, agent: agentWithKey(t.server, secret) };
  };

  const verify = async (): Promise<{ ok: boolean; checked: number; lastSeq: number; problems: unknown[] }> =>
    (await t.http.post('/v1/audit/verify').expect(200)).body as {
      ok: boolean;
      checked: number;
      lastSeq: number;
      problems: unknown[];
    };

  beforeAll(async () => {
    h = await startVendorHarness();
    t = h.t;
    audit = t.app.get(AuditService);
    dataSource = t.app.get(DataSource);
    operator = await keyOfRole('operator');
    viewer = await keyOfRole('viewer');
  });

  afterAll(async () => {
    await h?.close();
  });

  it('records a mutating staff request with the API key as actor, the action, request id and outcome', async () => {
    const created = await operator.agent
      .post('/v1/subscribers')
      .set('X-Request-Id', 'audit-create-1')
      .send({ ipaasCompanyId: h.emulator.control.subscriberCompanyIds()[11], name: 'Audit One' })
      .expect(201);
    // Committed before the response went out: no flush needed for a success. (The registration's check at
    // iPaaS.com adds system rows under the same request id, e.g. the MiSP login.)
    const [row] = await dataSource.query<AuditRow[]>(
      "SELECT * FROM audit_events WHERE request_id = $1 AND actor_kind = 'api_key'",
      ['audit-create-1'],
    );
    expect(row).toMatchObject({
      actor_kind: 'api_key',
      actor_id: operator.id,
      actor_label: operator.name,
      action: 'subscriber.create',
      outcome: 'success',
      subscriber_id: null,
      details: null,
    });

    const id = (created.body as { id: string }).id;
    await operator.agent
      .patch(`/v1/subscribers/${id}`)
      .set('X-Request-Id', 'audit-update-1')
      .send({ name: 'Audit One renamed' })
      .expect(200);
    expect(await byRequestId('audit-update-1')).toEqual([
      expect.objectContaining({
        action: 'subscriber.update',
        subscriber_id: id,
        target: null,
        outcome: 'success',
      }),
    ]);
    // The handler refuses (no such subscriber): recorded by the problem filter's observer, same action.
    const unknownId = '00000000-0000-4000-8000-000000000000';
    await operator.agent
      .patch(`/v1/subscribers/${unknownId}`)
      .set('X-Request-Id', 'audit-update-404')
      .send({ name: 'Nobody' })
      .expect(404);
    expect(await byRequestId('audit-update-404')).toEqual([
      expect.objectContaining({
        action: 'subscriber.update',
        subscriber_id: unknownId,
        outcome: 'failure',
        details: '{"status":404,"code":"NOT_FOUND"}',
      }),
    ]);

    // Outside /v1/subscribers/:id the route's parameters are the target.
    const throwaway = await t.http
      .post('/v1/api-keys')
      .send({ name: 'throwaway', role: 'viewer' })
      .expect(201);
    const throwawayKey = throwaway.body as { id: string; secret: string };
    secrets.push(throwawayKey.secret);
    await t.http.delete(`/v1/api-keys/${throwawayKey.id}`).set('X-Request-Id', 'audit-revoke').expect(204);
    expect(await byRequestId('audit-revoke')).toEqual([
      expect.objectContaining({
        action: 'api_key.revoke',
        subscriber_id: null,
        target: `id=${throwawayKey.id}`,
        outcome: 'success',
      }),
    ]);

    // A route without @AuditAction is recorded under its method and pattern (the harness set the MiSP login).
    const mispRows = await rowsWhere((row) => row.action === 'PUT /v1/misp-account');
    expect(mispRows).toEqual([
      expect.objectContaining({ actor_kind: 'api_key', actor_label: 'test admin', outcome: 'success' }),
    ]);
  });

  it('records refused mutating requests: 403 for a viewer, 401 anonymous, 400 invalid; not unknown routes', async () => {
    await viewer.agent
      .post('/v1/subscribers')
      .set('X-Request-Id', 'audit-403')
      .send({ ipaasCompanyId: 'nope', name: 'Nope' })
      .expect(403);
    await request(t.server)
      .post('/v1/subscribers')
      .set('X-Request-Id', 'audit-401')
      .send({ ipaasCompanyId: 'nope', name: 'Nope' })
      .expect(401);
    await viewer.agent.post('/v1/audit/verify').set('X-Request-Id', 'audit-verify-403').expect(403);
    await operator.agent
      .post('/v1/subscribers')
      .set('X-Request-Id', 'audit-400')
      .send({ ipaasCompanyId: 'x', name: 'X', status: 'active' })
      .expect(400);
    await operator.agent.post('/v1/no-such-route').set('X-Request-Id', 'audit-404').expect(404);

    expect(await byRequestId('audit-403')).toEqual([
      expect.objectContaining({
        actor_kind: 'api_key',
        actor_id: viewer.id,
        action: 'subscriber.create',
        outcome: 'failure',
        details: '{"status":403,"code":"FORBIDDEN"}',
      }),
    ]);
    expect(await byRequestId('audit-401')).toEqual([
      expect.objectContaining({
        actor_kind: 'system',
        actor_id: null,
        actor_label: 'anonymous',
        action: 'subscriber.create',
        outcome: 'failure',
        details: '{"status":401,"code":"UNAUTHORIZED"}',
      }),
    ]);
    expect(await byRequestId('audit-verify-403')).toEqual([
      expect.objectContaining({ action: 'audit.verify', outcome: 'failure', actor_id: viewer.id }),
    ]);
    expect(await byRequestId('audit-400')).toEqual([
      expect.objectContaining({
        action: 'subscriber.create',
        outcome: 'failure',
        details: '{"status":400,"code":"VALIDATION_FAILED"}',
      }),
    ]);
    expect(await byRequestId('audit-404')).toEqual([]);
  });

  it('records sign-in attempts under the email tried, never the password', async () => {
    await request(t.server)
      .post('/v1/auth/login')
      .set('X-Request-Id', 'audit-login-bad')
      .send({ email: TEST_ADMIN.email, password: 'wrong-password-123' })
      .expect(401);
    const login = await request(t.server)
      .post('/v1/auth/login')
      .set('X-Request-Id', 'audit-login-ok')
      .send(TEST_ADMIN)
      .expect(200);
    const tokens = login.body as { access_token: string; refresh_token: string };
    secrets.push(tokens.access_token, tokens.refresh_token, 'wrong-password-123');

    expect(await byRequestId('audit-login-bad')).toEqual([
      expect.objectContaining({
        actor_kind: 'system',
        actor_label: TEST_ADMIN.email,
        action: 'auth.login',
        outcome: 'failure',
      }),
    ]);
    expect(await byRequestId('audit-login-ok')).toEqual([
      expect.objectContaining({
        actor_kind: 'staff',
        actor_label: TEST_ADMIN.email,
        action: 'auth.login',
        outcome: 'success',
      }),
    ]);
  });

  it('records a company-token mint and mutating vendor calls as the system; reads and logins are not', async () => {
    const company = await h.register(0);
    await operator.agent
      .put(`/v1/subscribers/${company.id}/credential`)
      .set('X-Request-Id', 'audit-mint')
      .send({ kind: 'company_session' })
      .expect(200);
    const token = await t.app.get(CompanyTokensService).forCompany(company.id);
    secrets.push(token.value);

    const mintRows = await byRequestId('audit-mint');
    expect(mintRows).toEqual(
      expect.arrayContaining([
        // The mint happened while serving the request, so it carries that request's id.
        expect.objectContaining({
          actor_kind: 'system',
          action: 'company_token.minted',
          subscriber_id: company.id,
          target: `ipaasCompanyId=${company.ipaasCompanyId}`,
          details: '{"via":"change_company"}',
        }),
        expect.objectContaining({
          actor_kind: 'api_key',
          actor_id: operator.id,
          action: `PUT /v1/subscribers/:id/credential`,
          subscriber_id: company.id,
          outcome: 'success',
        }),
      ]),
    );

    const vendor = t.app.get(CompanyVendorService);
    await vendor.call(company.id, 'createCustomer', {
      body: { first_name: 'Ada', last_name: 'Lovelace', email_address: 'ada@example.test' },
    });
    h.emulator.control.addFault({
      method: 'POST',
      path: '/customers/v2/Customer',
      count: 1,
      action: {
        type: 'respond',
        status: 409,
        body: '{"code":"BIZL-1001","message":"Customer already exists"}',
        headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'vendor-req-77' },
      },
    });
    await expect(
      vendor.call(company.id, 'createCustomer', { body: { first_name: 'Ada' } }),
    ).rejects.toThrow();
    await vendor.call(company.id, 'listSubscriptions');

    const vendorRows = await rowsWhere((row) => row.action.startsWith('vendor.'));
    expect(vendorRows.map((row) => [row.action, row.actor_kind, row.subscriber_id, row.outcome])).toEqual([
      ['vendor.createCustomer', 'system', company.id, 'success'],
      ['vendor.createCustomer', 'system', company.id, 'failure'],
    ]);
    expect(JSON.parse(vendorRows[0].details!)).toEqual({
      method: 'POST',
      status: expect.any(Number) as unknown,
      vendorRequestId: null,
      error: null,
    });
    expect(JSON.parse(vendorRows[1].details!)).toEqual({
      method: 'POST',
      status: 409,
      vendorRequestId: 'vendor-req-77',
      error: 'BIZL-1001 Customer already exists',
    });
  });

  it('never stores a password, token or API key secret anywhere in the table', async () => {
    const everything = JSON.stringify(await rows());
    expect(secrets.length).toBeGreaterThan(6);
    for (const secret of secrets) {
      expect(everything.includes(secret) ? secret : 'absent').toBe('absent');
    }
  });

  it('lists with filters, newest first, with X-Pagination; viewers may read, anonymous callers may not', async () => {
    const all = await rows();
    const newestFirst = [...all].reverse();

    const page = await viewer.agent.get('/v1/audit?pageSize=3&pageNumber=2').expect(200);
    expect(JSON.parse(page.headers['x-pagination'])).toEqual({
      total_Count: all.length,
      page_Size: 3,
      current_Page: 2,
      total_Pages: Math.ceil(all.length / 3),
      previous_Page: 'Yes',
      next_Page: 'Yes',
    });
    expect((page.body as { seq: number }[]).map((row) => row.seq)).toEqual(
      newestFirst.slice(3, 6).map((row) => row.seq),
    );
    expect((page.body as object[])[0]).toEqual({
      seq: newestFirst[3].seq,
      id: newestFirst[3].id,
      at: new Date(Number(newestFirst[3].at)).toISOString(),
      actorKind: newestFirst[3].actor_kind,
      actorId: newestFirst[3].actor_id,
      actorLabel: newestFirst[3].actor_label,
      action: newestFirst[3].action,
      subscriberId: newestFirst[3].subscriber_id,
      target: newestFirst[3].target,
      requestId: newestFirst[3].request_id,
      outcome: newestFirst[3].outcome,
      details: newestFirst[3].details === null ? null : (JSON.parse(newestFirst[3].details) as unknown),
      prevHash: newestFirst[3].prev_hash,
      hash: newestFirst[3].hash,
    });

    const list = async (query: string): Promise<{ seq: number }[]> =>
      (await viewer.agent.get(`/v1/audit?pageSize=500&${query}`).expect(200)).body as { seq: number }[];
    const seqs = (matching: AuditRow[]): number[] => [...matching].reverse().map((row) => row.seq);

    expect((await list('actorKind=system&action=vendor.*')).map((row) => row.seq)).toEqual(
      seqs(all.filter((row) => row.actor_kind === 'system' && row.action.startsWith('vendor.'))),
    );
    expect((await list('action=auth.login')).map((row) => row.seq)).toEqual(
      seqs(all.filter((row) => row.action === 'auth.login')),
    );
    expect((await list(`actorId=${operator.id}`)).map((row) => row.seq)).toEqual(
      seqs(all.filter((row) => row.actor_id === operator.id)),
    );
    const subscriberId = all.find((row) => row.action === 'company_token.minted')!.subscriber_id!;
    const ofSubscriber = await list(`subscriberId=${subscriberId}`);
    expect(ofSubscriber.map((row) => row.seq)).toEqual(
      seqs(all.filter((row) => row.subscriber_id === subscriberId)),
    );
    expect(ofSubscriber.length).toBeGreaterThanOrEqual(4);

    const middle = all[Math.floor(all.length / 2)];
    const at = new Date(Number(middle.at)).toISOString();
    expect((await list(`from=${encodeURIComponent(at)}`)).map((row) => row.seq)).toEqual(
      seqs(all.filter((row) => Number(row.at) >= Number(middle.at))),
    );
    expect((await list(`to=${encodeURIComponent(at)}`)).map((row) => row.seq)).toEqual(
      seqs(all.filter((row) => Number(row.at) <= Number(middle.at))),
    );
    expect(await list('to=2000-01-01T00:00:00Z')).toEqual([]);

    for (const bad of [
      'from=yesterday',
      'to=2025-01-01T00:00:00',
      'action=**',
      'actorKind=robot',
      'extra=1',
    ]) {
      const refused = await viewer.agent.get(`/v1/audit?${bad}`).expect(400);
      expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    await request(t.server).get('/v1/audit').expect(401);
  });

  it('exports CSV with a header, RFC 4180 quoting and formula protection, filtered like the list', async () => {
    const formulaName = '=HYPERLINK("http://evil.test","x"), ok';
    const created = await t.http
      .post('/v1/api-keys')
      .send({ name: formulaName, role: 'operator' })
      .expect(201);
    const formulaKey = (created.body as { secret: string }).secret;
    secrets.push(formulaKey);
    await agentWithKey(t.server, formulaKey)
      .post('/v1/subscribers')
      .set('X-Request-Id', 'audit-formula')
      .send({ ipaasCompanyId: h.emulator.control.subscriberCompanyIds()[10], name: 'Formula' })
      .expect(201);

    const response = await viewer.agent.get('/v1/audit/export').buffer(true).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="audit\.csv"/);
    const lines = response.text.split('\r\n');
    expect(lines[0]).toBe(
      'seq,id,at,actor_kind,actor_id,actor_label,action,subscriber_id,target,request_id,outcome,details,prev_hash,hash',
    );
    expect(lines.pop()).toBe('');
    const all = await rows();
    expect(lines.length - 1).toBe(all.length);
    expect(lines[1]?.startsWith(`${all[all.length - 1].seq},`)).toBe(true);

    const formulaLine = lines.find((line) => line.includes('audit-formula'))!;
    expect(formulaLine).toContain(`,"'=HYPERLINK(""http://evil.test"",""x""), ok",subscriber.create,`);
    const refusedLine = lines.find((line) => line.includes('audit-403'))!;
    expect(refusedLine).toContain(',failure,"{""status"":403,""code"":""FORBIDDEN""}",');

    const filtered = await viewer.agent.get('/v1/audit/export?action=auth.*').buffer(true).expect(200);
    const filteredLines = filtered.text.split('\r\n').slice(1, -1);
    expect(filteredLines.length).toBe(all.filter((row) => row.action.startsWith('auth.')).length);
    expect(filteredLines.every((line) => /^\d+,[^,]+,[^,]+,[^,]+,[^,]*,[^,]*,auth\./.test(line))).toBe(true);

    await request(t.server).get('/v1/audit/export').expect(401);
  });

  describe('verification (POST /v1/audit/verify, admin)', () => {
    const events = () => dataSource.getRepository(AuditEventEntity);

    it('is ok on an untouched chain', async () => {
      const before = await rows();
      const result = await verify();
      expect(result).toEqual({
        ok: true,
        checked: before.length,
        lastSeq: before[before.length - 1].seq,
        problems: [],
      });
      await operator.agent.post('/v1/audit/verify').expect(403);
    });

    it('reports a row whose details or action were edited in the database, at its seq', async () => {
      const target = (await rows()).find((row) => row.request_id === 'audit-403')!;
      await dataSource.query('UPDATE audit_events SET details = $1 WHERE seq = $2', [
        '{"status":201}',
        target.seq,
      ]);
      expect(await verify()).toMatchObject({
        ok: false,
        problems: [{ seq: target.seq, reason: 'hash_mismatch' }],
      });

      await dataSource.query('UPDATE audit_events SET details = $1, action = $2 WHERE seq = $3', [
        target.details,
        'subscriber.read',
        target.seq,
      ]);
      expect(await verify()).toMatchObject({
        ok: false,
        problems: [{ seq: target.seq, reason: 'hash_mismatch' }],
      });

      await dataSource.query('UPDATE audit_events SET action = $1 WHERE seq = $2', [
        target.action,
        target.seq,
      ]);
      expect((await verify()).ok).toBe(true);
    });

    it('reports a deleted middle row', async () => {
      const all = await rows();
      const middle = all[Math.floor(all.length / 2)];
      const saved = await events().findOneByOrFail({ seq: middle.seq });
      await dataSource.query('DELETE FROM audit_events WHERE seq = $1', [middle.seq]);
      expect(await verify()).toMatchObject({
        ok: false,
        problems: [
          { seq: middle.seq, reason: 'missing_rows' },
          { seq: middle.seq + 1, reason: 'chain_break' },
        ],
      });
      await events().insert(saved);
      expect((await verify()).ok).toBe(true);
    });

    it('reports deleted newest rows as a head mismatch', async () => {
      const all = await rows();
      const newest = all[all.length - 1];
      const saved = await events().findOneByOrFail({ seq: newest.seq });
      await dataSource.query('DELETE FROM audit_events WHERE seq = $1', [newest.seq]);
      expect(await verify()).toEqual({
        ok: false,
        checked: all.length - 1,
        lastSeq: newest.seq - 1,
        problems: [{ seq: newest.seq, reason: 'head_mismatch' }],
      });
      await events().insert(saved);
      expect((await verify()).ok).toBe(true);
    });

    it('keeps one valid chain under 200 concurrent records', async () => {
      const before = (await rows()).length;
      await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          audit.record({
            actor: { kind: 'webhook', id: null, label: 'billing' },
            action: 'test.concurrent',
            target: `n=${index}`,
            outcome: 'success',
          }),
        ),
      );
      const concurrent = await rowsWhere((row) => row.action === 'test.concurrent');
      expect(concurrent).toHaveLength(200);
      const first = concurrent[0].seq;
      expect(concurrent.map((row) => row.seq)).toEqual(
        Array.from({ length: 200 }, (_, index) => first + index),
      );
      expect((await rows()).length).toBe(before + 200);
      expect(await verify()).toMatchObject({ ok: true, problems: [] });
    });
  });
});

// Several Tenantry instances share one PostgreSQL: runs when a throwaway server is given (README).
describeOnPostgres('audit')('audit appends from several instances on one PostgreSQL', () => {
  let postgres: PostgresInstances;
  let instances: DataSource[];
  let config: AppConfig;

  beforeAll(async () => {
    postgres = await startPostgresInstances('tenantry_audit_instances');
    ({ config, instances } = postgres);
  });

  afterAll(() => postgres?.close());

  it('builds one chain: appenders queue on the head row lock', async () => {
    const repositories = instances.map(
      (instance) =>
        new AuditRepository(
          instance.getRepository(AuditEventEntity),
          instance.getRepository(AuditChainHeadEntity),
          new Transactions(instance, config),
        ),
    );
    const row = (index: number): NewAuditRow => ({
      id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      atMs: 1_750_000_000_000 + index,
      actorKind: 'system',
      actorId: null,
      actorLabel: 'system',
      action: 'test.instances',
      subscriberId: null,
      target: null,
      requestId: null,
      outcome: 'success',
      details: null,
    });
    // 40 concurrent two-row appends, alternating between two connection pools ("instances").
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        repositories[index % 2].append([row(2 * index), row(2 * index + 1)]),
      ),
    );
    const verifier = new ChainVerifier();
    const walked: { seq: number; atMs: number }[] = [];
    for await (const page of repositories[1].chainPages(null, 7)) {
      verifier.check(page);
      walked.push(...page);
    }
    expect(verifier.finish(await repositories[0].readHead())).toEqual({
      ok: true,
      checked: 80,
      lastSeq: 80,
      problems: [],
    });

    // The filters are portable SQL: the same answers as on SQLite.
    const from = 1_750_000_000_000 + 70;
    const [page, total] = await repositories[0].findPage(
      { action: 'test.inst', actionIsPrefix: true, from: new Date(from) },
      0,
      5,
    );
    const expected = walked.filter((entry) => entry.atMs >= from).sort((a, b) => b.seq - a.seq);
    expect(total).toBe(10);
    expect(page.map((entity) => [entity.seq, entity.at.getTime()])).toEqual(
      expected.slice(0, 5).map((entry) => [entry.seq, entry.atMs]),
    );
    const exported: number[] = [];
    for await (const rows of repositories[1].pagesNewestFirst({ action: 'test.instances' }, 30)) {
      exported.push(...rows.map((entity) => entity.seq));
    }
    expect(exported).toEqual(Array.from({ length: 80 }, (_, index) => 80 - index));
  });
});
