import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Request } from 'express';
import type { Params } from 'nestjs-pino';
import { type DestinationStream, stdSerializers } from 'pino';

import type { AppConfig } from '../../config/app-config';
import { assignRequestId } from '../http/request-id';
import { redactSecrets } from './redact';

// Nest mounts module middleware on this catch-all pattern; a request whose last route is it matched no handler.
const MIDDLEWARE_CATCH_ALL = '/{*path}';

/** The route pattern (e.g. `/v1/subscribers/:id`), or `unmatched` so unknown URLs cannot explode labels. */
export function routeOf(request: IncomingMessage): string {
  const route = (request as Partial<Request>).route as { path?: unknown } | undefined;
  if (typeof route?.path !== 'string' || route.path === MIDDLEWARE_CATCH_ALL) {
    return 'unmatched';
  }
  return `${(request as Partial<Request>).baseUrl ?? ''}${route.path}`;
}

function pathOf(url: string | undefined): string {
  // The query string may carry filters with personal data; the route and path are enough to debug.
  return (url ?? '').split('?')[0] ?? '';
}

/**
 * nestjs-pino options: one JSON line per request with request id, route, status and latency; in-request log
 * lines carry the request id (quietReqLogger); secrets are masked at any depth.
 */
export function buildLoggerParams(config: AppConfig, destination?: DestinationStream): Params {
  return {
    pinoHttp: [
      {
        level: config.logLevel,
        genReqId: assignRequestId,
        quietReqLogger: true,
        // pino-http asks at the start and at the end of a request; the route is known only at the end.
        customProps: (request, response) => (response.writableEnded ? { route: routeOf(request) } : {}),
        customLogLevel: (_request, response, error) =>
          error !== undefined || response.statusCode >= 500
            ? 'error'
            : response.statusCode >= 400
              ? 'warn'
              : 'info',
        serializers: {
          req: (request: IncomingMessage & { id?: unknown }) => ({
            id: request.id,
            method: request.method,
            path: pathOf(request.url),
            headers: redactSecrets({ ...request.headers }),
          }),
          res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
          // Vendor client errors carry request configs with Authorization headers: mask them too.
          err: (error: Error) => redactSecrets({ ...stdSerializers.err(error) }),
        },
        formatters: {
          log: (object: Record<string, unknown>) => redactSecrets(object) as Record<string, unknown>,
        },
      },
      destination ?? process.stdout,
    ],
  };
}
