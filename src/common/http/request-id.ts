import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only when it is short and plain, so it cannot forge log lines or inject headers.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** pino-http's `genReqId`: accept a sane `X-Request-Id`, otherwise generate one; echo it on the response. */
export function assignRequestId(request: IncomingMessage, response: ServerResponse): string {
  const offered = request.headers[REQUEST_ID_HEADER];
  const requestId = typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
  response.setHeader('X-Request-Id', requestId);
  return requestId;
}
