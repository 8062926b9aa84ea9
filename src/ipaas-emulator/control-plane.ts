import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { isoAt } from './clock';
import { EmulatorControlImpl } from './control';
import type { ErrorMode } from './errors';
import type { FaultRuleInput } from './faults';
import type { EmulatorCore, LatencyOptions } from './server';

/**
 * HTTP control plane under /__emulator (never under a vendor base path). JSON in and out, camelCase like the
 * in-process EmulatorControl it wraps. Not journaled, not rate-limited, never faulted.
 */
export interface ControlRouter {
  handle(req: IncomingMessage, res: ServerResponse): void;
}

type Params = Record<string, string | undefined>;
type Query = Record<string, string>;
type Action = (body: Record<string, unknown>, params: Params, query: Query) => unknown;

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
  });
  res.end(payload);
}

export function buildControlRouter(core: EmulatorCore): ControlRouter {
  const control = new EmulatorControlImpl(core);
  const router = FindMyWay({ ignoreTrailingSlash: true });
  const on = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, action: Action) =>
    router.on(method, `/__emulator${path}`, () => undefined, action);

  const clockView = () => ({ now: control.now(), iso: isoAt(control.now()) });
  const advance = (b: Record<string, unknown>) => {
    const ms = Number(b.ms ?? b.advanceMs ?? (b.seconds !== undefined ? Number(b.seconds) * 1000 : NaN));
    if (!Number.isFinite(ms) || ms < 0) {
      throw new ControlError(400, 'body needs ms (or advanceMs / seconds) >= 0');
    }
    control.advanceClock(ms);
    return clockView();
  };

  on('GET', '/health', () => {
    const m = process.memoryUsage();
    return {
      ok: true,
      now: isoAt(control.now()),
      rssBytes: m.rss,
      heapUsedBytes: m.heapUsed,
      companies: core.state.companies.size,
    };
  });
  on('POST', '/reset', () => {
    control.reset();
    return { ok: true, demo: control.demo() };
  });
  on('POST', '/seed', (b) => ({
    ok: true,
    demo: control.seed(b.empty === true ? false : b),
  }));
  on('GET', '/demo', () => control.demo());
  on('GET', '/routes', () => control.routes());
  on('GET', '/clock', clockView);
  on('POST', '/clock', advance);
  on('POST', '/clock/advance', advance);
  on('GET', '/latency', () => control.getLatency());
  on('PUT', '/latency', (b) => {
    control.setLatency(b as unknown as LatencyOptions);
    return control.getLatency();
  });
  on('GET', '/error-mode', () => ({ mode: control.getErrorMode() }));
  on('PUT', '/error-mode', (b) => {
    control.setErrorMode(b.mode as ErrorMode);
    return { mode: control.getErrorMode() };
  });
  on('GET', '/limits', () => control.getLimits());
  on('PUT', '/limits', (b) => control.setLimits(b));
  on('GET', '/companies/:companyId/limits', (_b, p) => ({
    ...control.getLimits(p.companyId),
    monthlyCalls: control.monthlyCalls(p.companyId ?? ''),
  }));
  on('PUT', '/companies/:companyId/limits', (_b, p) => control.setCompanyLimits(p.companyId ?? '', _b));
  on('DELETE', '/companies/:companyId/limits', (_b, p) => control.setCompanyLimits(p.companyId ?? '', null));
  on('POST', '/companies/:companyId/api-keys', (b, p) =>
    control.mintApiKey(p.companyId ?? '', {
      name: typeof b.name === 'string' ? b.name : undefined,
      expiresInDays: typeof b.expiresInDays === 'number' ? b.expiresInDays : null,
    }),
  );
  on('POST', '/companies/:companyId/tokens', (b, p) =>
    control.mintCompanyToken(p.companyId ?? '', typeof b.userId === 'number' ? b.userId : undefined),
  );
  on('GET', '/subscribers', () => control.subscriberCompanyIds());
  on('DELETE', '/subscribers/:companyId', (_b, p) => {
    control.endRelationship(p.companyId ?? '');
    return { ok: true };
  });
  on('POST', '/subscriber-requests', (b) =>
    control.createSubscriberRequest({
      companyName: typeof b.companyName === 'string' ? b.companyName : undefined,
    }),
  );
  on('POST', '/role-shares/:id/approve', (_b, p) => control.approveRoleShareAsSubscriber(Number(p.id)));
  on('GET', '/users', (_b, _p, q) => {
    const u = control.findUser(q.email ?? '');
    if (!u) {
      throw new ControlError(404, 'no user with that email');
    }
    return u;
  });
  on('GET', '/faults', () => control.listFaults());
  on('POST', '/faults', (b) => control.addFault(b as unknown as FaultRuleInput));
  on('DELETE', '/faults', () => {
    control.clearFaults();
    return { ok: true };
  });
  on('DELETE', '/faults/:id', (_b, p) => {
    if (!control.removeFault(p.id ?? '')) {
      throw new ControlError(404, `no fault ${p.id}`);
    }
    return { ok: true };
  });
  on('GET', '/requests', (_b, _p, q) => ({
    total: control.journalTotal(),
    capacity: core.journal.capacity,
    entries: control.journal(q.limit !== undefined ? Number(q.limit) : undefined),
  }));
  on('DELETE', '/requests', () => {
    control.clearJournal();
    return { ok: true };
  });
  on('GET', '/stats', () => control.stats());
  on('GET', '/hooks', () => control.hooks());

  return {
    handle(req, res) {
      const found = router.find((req.method ?? 'GET') as 'GET', req.url ?? '/');
      if (!found) {
        req.resume();
        send(res, 404, { error: `no control route ${req.method} ${req.url}` });
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const text = Buffer.concat(chunks).toString('utf8').trim();
          let body: Record<string, unknown> = {};
          if (text) {
            try {
              body = JSON.parse(text) as Record<string, unknown>;
            } catch {
              throw new ControlError(400, 'body is not valid JSON');
            }
          }
          const query: Query = {};
          for (const [k, v] of Object.entries(found.searchParams)) {
            query[k] = Array.isArray(v) ? String(v[0]) : String(v);
          }
          const result = (found.store as Action)(body ?? {}, found.params, query);
          send(res, 200, result === undefined ? { ok: true } : result);
        } catch (e) {
          const status = e instanceof ControlError ? e.status : 400;
          send(res, status, { error: e instanceof Error ? e.message : String(e) });
        }
      });
    },
  };
}
