import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

import axios, { type AxiosInstance, isAxiosError } from 'axios';

import type { IpaasSettings } from '../config/app-config';
import { VendorError } from './vendor-error';

export interface RawVendorResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | undefined>;
  body: string;
}

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path under the base URL (`/sso/v2/...`); absolute URLs are refused. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  token?: string;
}

/**
 * The single HTTP path to iPaaS.com: keep-alive agents, a timeout, no redirects, a response size cap, and a base
 * URL that only server configuration sets. Bodies are kept as text so plaintext error messages survive.
 */
export class IpaasTransport {
  private readonly http: AxiosInstance;

  constructor(
    baseUrl: string,
    private readonly settings: Pick<IpaasSettings, 'timeoutMs' | 'maxResponseBytes' | 'authHeaderFormat'>,
  ) {
    this.http = axios.create({
      baseURL: baseUrl,
      allowAbsoluteUrls: false,
      // No axios timeout: send() runs its own (see deadline()), which a busy event loop cannot trip falsely.
      maxRedirects: 0,
      maxContentLength: settings.maxResponseBytes,
      maxBodyLength: settings.maxResponseBytes,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
      headers: { Accept: 'application/json, text/plain' },
    });
  }

  authorizationHeader(token: string): string {
    return this.settings.authHeaderFormat === 'bearer' ? `Bearer ${token}` : token;
  }

  async send(request: TransportRequest): Promise<RawVendorResponse> {
    if (!request.path.startsWith('/')) {
      throw new Error(`Vendor paths are relative to the configured base URL: ${request.path}`);
    }
    const deadline = this.deadline();
    try {
      const response = await this.http.request<string>({
        signal: deadline.signal,
        method: request.method,
        url: request.path,
        params: request.query,
        data: request.body === undefined ? undefined : JSON.stringify(request.body),
        headers: {
          ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(request.token === undefined ? {} : { Authorization: this.authorizationHeader(request.token) }),
        },
      });
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value)
          ? value.join(', ')
          : value === undefined
            ? undefined
            : String(value);
      }
      return { status: response.status, statusText: response.statusText, headers, body: response.data ?? '' };
    } catch (error) {
      throw deadline.signal.aborted
        ? new VendorError('timeout', 'The vendor did not answer in time')
        : transportError(error);
    } finally {
      deadline.clear();
    }
  }

  /**
   * The timeout of one attempt. When its timer fires, the abort waits for one turn of the event loop
   * (setImmediate runs after the poll phase that reads sockets): on a starved CPU the timer and the vendor's
   * answer can both be due when the loop gets to run, and timers go first. Aborting there would throw away an
   * answer that had arrived and retry the call (a read counted twice at the vendor; a create that needs its
   * landed check). Deferred, the waiting answer is read first and the abort finds the request done.
   */
  private deadline(): { signal: AbortSignal; clear: () => void } {
    const controller = new AbortController();
    let done = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (!done) {
          controller.abort();
        }
      });
    }, this.settings.timeoutMs);
    return {
      signal: controller.signal,
      clear: () => {
        done = true;
        clearTimeout(timer);
      },
    };
  }
}

/** Never carries the request config (it holds the Authorization header) into the error. */
function transportError(error: unknown): VendorError {
  if (isAxiosError(error)) {
    const code = error.code ?? '';
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(error.message)) {
      return new VendorError('timeout', 'The vendor did not answer in time');
    }
    if (code === 'ERR_FR_MAX_BODY_LENGTH_EXCEEDED' || /maxContentLength/i.test(error.message)) {
      return new VendorError('protocol', 'The vendor response exceeded the size limit');
    }
    // Resets, refusals, DNS failures, dropped sockets: the request may or may not have reached the vendor.
    return new VendorError('network', `Network error talking to the vendor (${code || 'connection lost'})`);
  }
  return new VendorError('network', 'Vendor request failed');
}
