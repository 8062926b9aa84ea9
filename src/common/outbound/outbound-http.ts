import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';

import { Injectable } from '@nestjs/common';
import axios, { type AxiosInstance, isAxiosError } from 'axios';

import { AppConfig } from '../../config/app-config';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { HostResolver, type ResolvedAddress } from './host-resolver';
import {
  addressVerdict,
  type AllowedRange,
  parseAllowedRanges,
  targetVerdict,
} from './outbound-address-policy';

/** Response bytes read at most; the rest is discarded unread (only the status matters to callers). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 300;

/** Where a call to a URL would connect, or why it may not be made. */
export type Vetting =
  | { kind: 'allowed'; url: URL; hostname: string; address: ResolvedAddress }
  | { kind: 'refused'; reason: string }
  /** The name did not resolve: possibly transient (a delivery retries; a new destination is refused). */
  | { kind: 'unresolved'; reason: string };

export type OutboundOutcome =
  | { kind: 'answered'; status: number }
  /** Not sent: the URL or the address it resolved to is refused by the policy. */
  | { kind: 'refused'; reason: string }
  /** Sent or attempted, with no HTTP answer (network error, timeout, no DNS answer). */
  | { kind: 'failed'; error: string };

/**
 * A `lookup` for the connection that answers the address already checked, so the socket goes exactly there:
 * asking DNS again could get another answer (DNS rebinding: public for the check, private for the connect).
 */
function pinnedLookup(checkedHost: string, checked: ResolvedAddress): LookupFunction {
  return (hostname, options, callback) => {
    if (hostname !== checkedHost) {
      callback(
        Object.assign(new Error(`only ${checkedHost} was checked, not ${hostname}`), { code: 'ENOTFOUND' }),
        '',
      );
      return;
    }
    if (options.all === true) {
      callback(null, [{ address: checked.address, family: checked.family }]);
    } else {
      callback(null, checked.address, checked.family);
    }
  };
}

/** Reads and drops at most `limit` bytes of a response body, then stops reading it. Never rejects. */
function discardBody(body: Readable, limit: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const stop = (): void => {
      body.destroy();
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
    body.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) {
        stop();
      }
    });
    body.once('end', resolve);
    body.once('error', () => resolve());
    body.once('close', resolve);
  });
}

function describeError(error: unknown): string {
  const message = isAxiosError(error)
    ? `${error.code ?? 'ERROR'}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  return message.slice(0, MAX_ERROR_LENGTH);
}

/**
 * The one way the server calls a URL that staff configured (alert destinations today; anything later must
 * use it too). Per call: the URL must be http(s) without userinfo; its host is resolved (the injectable
 * HostResolver) and every address checked (addressVerdict: only global unicast, plus OUTBOUND_ALLOW_CIDRS);
 * the connection goes to the checked address (no second look-up); redirects are never followed; no
 * environment proxy is used (it would connect elsewhere); at most 64 KB of the answer is read; the request
 * says `User-Agent: Tenantry/<version>`. Nothing is cached: every attempt is checked again.
 */
@Injectable()
export class OutboundHttp {
  private readonly allowList: AllowedRange[];
  private readonly userAgent: string;
  private readonly http: AxiosInstance;

  constructor(
    private readonly resolver: HostResolver,
    config: AppConfig,
  ) {
    this.allowList = parseAllowedRanges(config.outbound.allowCidrs).ranges;
    this.userAgent = config.outbound.userAgent;
    // Any status is an answer to report, not an exception; the body is a stream read only up to the cap.
    this.http = axios.create({
      maxRedirects: 0,
      proxy: false,
      decompress: false,
      validateStatus: () => true,
      responseType: 'stream',
    });
  }

  async vet(url: string): Promise<Vetting> {
    const target = targetVerdict(url);
    if (!target.allowed) {
      return { kind: 'refused', reason: `the URL is refused: ${target.reason}` };
    }
    const { hostname, literal } = target;
    let addresses: ResolvedAddress[];
    if (literal !== null) {
      addresses = [{ address: literal, family: isIP(literal) === 6 ? 6 : 4 }];
    } else {
      try {
        addresses = await this.resolver.resolve(hostname);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return {
          kind: 'unresolved',
          reason: `${hostname} does not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
        };
      }
      if (addresses.length === 0) {
        return { kind: 'unresolved', reason: `${hostname} does not resolve` };
      }
    }
    // Every answer must pass: the connection could otherwise be steered to the one that does not.
    for (const { address } of addresses) {
      const verdict = addressVerdict(address, this.allowList);
      if (!verdict.allowed) {
        return {
          kind: 'refused',
          reason: literal === null ? `${hostname} resolves to ${verdict.reason}` : verdict.reason,
        };
      }
    }
    return { kind: 'allowed', url: target.url, hostname, address: addresses[0] };
  }

  /** For saving a URL: 400 OUTBOUND_URL_REFUSED with the reason unless the server may call it now. */
  async assertCallable(url: string, field = 'url'): Promise<void> {
    const vetting = await this.vet(url);
    if (vetting.kind !== 'allowed') {
      throw new AppError(
        ErrorCode.OUTBOUND_URL_REFUSED,
        `The server will not call this URL: ${vetting.reason}`,
        {
          errors: [{ field, message: vetting.reason }],
        },
      );
    }
  }

  /** POSTs `body`; the outcome is an answer (any status), a refusal (nothing sent) or a failure. */
  async post(
    url: string,
    body: string,
    options: { headers: Record<string, string>; timeoutMs: number },
  ): Promise<OutboundOutcome> {
    const vetting = await this.vet(url);
    if (vetting.kind === 'refused') {
      return { kind: 'refused', reason: vetting.reason };
    }
    if (vetting.kind === 'unresolved') {
      return { kind: 'failed', error: vetting.reason };
    }
    const agentOptions = { keepAlive: false, lookup: pinnedLookup(vetting.hostname, vetting.address) };
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await this.http.post<Readable>(vetting.url.toString(), body, {
        headers: { ...options.headers, 'user-agent': this.userAgent },
        timeout: options.timeoutMs,
        signal,
        httpAgent: new http.Agent(agentOptions),
        httpsAgent: new https.Agent(agentOptions),
      });
      await discardBody(response.data, MAX_RESPONSE_BYTES, signal);
      return { kind: 'answered', status: response.status };
    } catch (error) {
      return { kind: 'failed', error: describeError(error) };
    }
  }
}
