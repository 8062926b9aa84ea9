import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { IpaasTransport } from './ipaas-transport';
import { VendorError } from './vendor-error';

/** Blocks the event loop, as a starved or busy process does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('IpaasTransport timeouts', () => {
  let server: Server;
  let transport: IpaasTransport;
  let handle: (respond: () => void) => void;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      handle(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('[]');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    transport = new IpaasTransport(`http://127.0.0.1:${port}`, {
      timeoutMs: 100,
      maxResponseBytes: 1024 * 1024,
      authHeaderFormat: 'bearer',
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('keeps an answer that arrived while the event loop was blocked past the timeout', async () => {
    // The vendor answers at once; then this process is stuck for three timeouts before it reads the socket.
    handle = (respond) => {
      respond();
      busyFor(300);
    };
    await expect(transport.send({ method: 'GET', path: '/sso/v2/Users' })).resolves.toMatchObject({
      status: 200,
      body: '[]',
    });
  });

  it('still times out a vendor that does not answer', async () => {
    let answer: (() => void) | undefined;
    handle = (respond) => {
      answer = respond;
    };
    const failure = (await transport
      .send({ method: 'GET', path: '/sso/v2/Users' })
      .catch((error: unknown) => error)) as VendorError;
    expect(failure).toBeInstanceOf(VendorError);
    expect(failure.kind).toBe('timeout');
    answer?.();
  });
});
