/**
 * A small HTTP client of Tenantry's own REST API for the demo, the crash test and the benchmarks (Node's
 * fetch: its streaming body makes reading Server-Sent Events a few lines).
 */

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ServerSentEvent {
  id: string | null;
  event: string;
  data: unknown;
}

export class TenantryApi {
  private constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** Signs in with a staff password and switches to a fresh admin API key (it survives restarts). */
  static async signIn(baseUrl: string, email: string, password: string): Promise<TenantryApi> {
    const anonymous = new TenantryApi(baseUrl, {});
    const login = await anonymous.expect<{ access_token: string }>(200, 'POST', '/v1/auth/login', {
      email,
      password,
    });
    const withToken = new TenantryApi(baseUrl, { authorization: `Bearer ${login.access_token}` });
    const key = await withToken.expect<{ secret: string }>(201, 'POST', '/v1/api-keys', {
      name: 'tenantry-script',
      role: 'admin',
    });
    return TenantryApi.withApiKey(baseUrl, key.secret);
  }

  static withApiKey(baseUrl: string, apiKey: string): TenantryApi {
    return new TenantryApi(baseUrl, { 'x-api-key': apiKey });
  }

  /** The same credentials against another instance (or the same one after a restart). */
  at(baseUrl: string): TenantryApi {
    return new TenantryApi(baseUrl, this.headers);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...this.headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text.length > 0 ? (JSON.parse(text) as T) : (text as T);
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** The body of a response with the expected status; anything else throws with the problem it carried. */
  async expect<T = unknown>(
    status: number,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const response = await this.request<T>(method, path, body, headers);
    if (response.status !== status) {
      throw new Error(
        `${method} ${path} answered ${response.status}, expected ${status}: ${JSON.stringify(response.body)}`,
      );
    }
    return response.body;
  }

  /**
   * Reads a Server-Sent Events stream until the server ends it (or `signal` aborts), calling `onEvent` for
   * each event. Resolves with the id of the last event seen, so a caller can resume with Last-Event-ID.
   */
  async streamEvents(
    path: string,
    onEvent: (event: ServerSentEvent) => void,
    options: { lastEventId?: string | null; signal?: AbortSignal } = {},
  ): Promise<string | null> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: {
        ...this.headers,
        accept: 'text/event-stream',
        ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
      },
      signal: options.signal,
    });
    if (response.status !== 200 || response.body === null) {
      throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    }
    let lastId = options.lastEventId ?? null;
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event !== null) {
          lastId = event.id ?? lastId;
          onEvent(event);
        }
        end = buffer.indexOf('\n\n');
      }
    }
    return lastId;
  }
}

function parseEvent(block: string): ServerSentEvent | null {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) {
      continue; // a comment (keep-alive)
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') {
      id = value;
    } else if (field === 'event') {
      event = value;
    } else if (field === 'data') {
      data.push(value);
    }
  }
  if (data.length === 0) {
    return null;
  }
  const text = data.join('\n');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Plain-text data stays a string.
  }
  return { id, event, data: parsed };
}
