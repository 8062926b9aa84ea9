import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Counter, Histogram } from 'prom-client';

import { DomainEvents } from '../common/events/domain-events';
import { Clock } from '../common/time/clock';
import { AppConfig, type IpaasSettings } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { CallPriority, CallScheduler } from './call-scheduler';
import { CircuitBreakers } from './circuit-breakers';
import { IpaasTransport, type RawVendorResponse } from './ipaas-transport';
import { type FetchedPage, paginate, parsePaginationHeader, type VendorPagination } from './paginate';
import { fullJitterBackoff, parseRetryAfter } from './retry-after';
import {
  buildVendorPath,
  VENDOR_ENDPOINTS,
  type VendorEndpoint,
  type VendorOperation,
} from './vendor-endpoints';
import { VendorError, vendorErrorFromResponse } from './vendor-error';

export const VENDOR_BASE_URL = Symbol('VENDOR_BASE_URL');

// Logging in and refreshing change nothing at the vendor (and carry secrets): only other writes are audited.
const UNAUDITED_OPERATIONS: ReadonlySet<VendorOperation> = new Set(['login', 'refresh']);

// The vendor documents no request-id header; these are the usual names, kept when one is present and sane.
const VENDOR_REQUEST_ID_HEADERS = ['x-request-id', 'x-correlation-id', 'request-id'];
const SANE_VENDOR_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function vendorRequestIdOf(headers: Record<string, string | undefined>): string | null {
  const found = VENDOR_REQUEST_ID_HEADERS.map((name) => headers[name]).find((value) => value !== undefined);
  return found !== undefined && SANE_VENDOR_REQUEST_ID.test(found) ? found : null;
}

/** What the attempts of a call learnt, for the audit event: the vendor's request id, and whether any was sent. */
interface CallTrace {
  vendorRequestId: string | null;
  sent: boolean;
}

/** Outcome of the lookup a caller supplies so a failed POST may be retried: did the first attempt land? */
export type LandedCheck<T> = () => Promise<{ landed: true; value: T } | { landed: false }>;

export interface VendorCall<T> {
  /** The lane for rate limits and the circuit: the subscriber id, or e.g. `misp` for SSO calls. */
  lane: string;
  /** Tag for logs (subscriber id) — never a secret. */
  subscriberId?: string;
  token?: string;
  params?: Record<string, string | number>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Required for a POST to be retried after an ambiguous failure (timeout, 5xx, reset). */
  landedCheck?: LandedCheck<T>;
  /** `low` for background reads (health checks): same limits, but only slots no `normal` call waits for. */
  priority?: CallPriority;
  /**
   * Runs right before each attempt is sent, after the scheduler admitted it: the caller's last word on a write
   * (provisioning checks its lease here). An error it throws is passed back as it is, and nothing is sent.
   */
  beforeSend?: () => Promise<void>;
}

export interface VendorResponse<T> {
  status: number;
  data: T;
  pagination?: VendorPagination;
  attempts: number;
}

/**
 * Calls iPaaS.com within its limits and through its faults: rate limits and concurrency per company
 * (CallScheduler), a circuit per company, retries with capped full-jitter backoff for network errors,
 * timeouts, 5xx and volume 429s (Retry-After honoured up to a cap; longer waits are handed back as
 * `reschedule`), never for a monthly 429, and for a POST only when a lookup proves it did not land.
 * It knows nothing about tokens: company-context passes them in.
 */
@Injectable()
export class IpaasClient implements OnModuleDestroy {
  private readonly settings: IpaasSettings;
  private readonly transport: IpaasTransport;
  readonly scheduler: CallScheduler;
  readonly circuits: CircuitBreakers;
  private readonly calls: Counter<'operation' | 'outcome'>;
  private readonly latency: Histogram<'operation'>;
  private random: () => number = Math.random;

  constructor(
    config: AppConfig,
    @Inject(VENDOR_BASE_URL) baseUrl: string,
    private readonly clock: Clock,
    metrics: MetricsService,
    @InjectPinoLogger(IpaasClient.name) private readonly logger: PinoLogger,
    private readonly events: DomainEvents,
  ) {
    this.settings = config.ipaas;
    this.transport = new IpaasTransport(baseUrl, this.settings);
    this.scheduler = new CallScheduler({
      globalRatePerSecond: this.settings.globalRatePerSecond,
      companyRatePerSecond: this.settings.companyRatePerSecond,
      companyConcurrency: this.settings.companyConcurrency,
    });
    this.circuits = new CircuitBreakers({
      threshold: this.settings.circuitFailureThreshold,
      openMs: this.settings.circuitOpenMs,
    });
    this.calls = new Counter({
      name: 'ipaas_vendor_calls_total',
      help: 'iPaaS.com calls by operation and outcome (HTTP status or error kind)',
      labelNames: ['operation', 'outcome'] as const,
      registers: [metrics.registry],
    });
    this.latency = new Histogram({
      name: 'ipaas_vendor_call_duration_seconds',
      help: 'iPaaS.com call latency by operation (one attempt)',
      labelNames: ['operation'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [metrics.registry],
    });
  }

  /** Tests pin the jitter source. */
  useRandom(random: () => number): void {
    this.random = random;
  }

  /** One vendor call with its retries; a mutating call emits `vendor_call.completed` once it is over, either way. */
  async call<T>(operation: VendorOperation, request: VendorCall<T>): Promise<VendorResponse<T>> {
    const method = VENDOR_ENDPOINTS[operation].method;
    const trace: CallTrace = { vendorRequestId: null, sent: false };
    if (method === 'GET' || UNAUDITED_OPERATIONS.has(operation)) {
      return this.callWithRetries(operation, request, trace);
    }
    const completed = {
      type: 'vendor_call.completed',
      operation,
      method,
      subscriberId: request.subscriberId ?? null,
    } as const;
    try {
      const response = await this.callWithRetries(operation, request, trace);
      this.events.emit({
        ...completed,
        status: response.status,
        outcome: 'success',
        vendorRequestId: trace.vendorRequestId,
        error: null,
      });
      return response;
    } catch (error) {
      if (!trace.sent) {
        // Abandoned before anything reached the vendor (beforeSend refused): no vendor call to record.
        throw error;
      }
      // Only the classified message goes to the audit trail (the vendor's error text, capped), never a token or body.
      const failure = error instanceof VendorError ? error : undefined;
      this.events.emit({
        ...completed,
        status: failure?.status ?? null,
        outcome: 'failure',
        vendorRequestId: trace.vendorRequestId,
        error: failure?.message ?? 'The vendor call failed',
      });
      throw error;
    }
  }

  private async callWithRetries<T>(
    operation: VendorOperation,
    request: VendorCall<T>,
    trace: CallTrace,
  ): Promise<VendorResponse<T>> {
    const endpoint: VendorEndpoint = VENDOR_ENDPOINTS[operation];
    const path = buildVendorPath(operation, request.params);
    for (let attempt = 0; ; attempt += 1) {
      if (!this.circuits.tryAcquire(request.lane)) {
        throw new VendorError(
          'circuit_open',
          'The circuit for this company is open after repeated failures',
          {
            operation,
            retryAfterMs: this.circuits.retryInMs(request.lane),
            attempts: attempt,
          },
        );
      }
      let failed: VendorError;
      try {
        const response = await this.attempt<T>(operation, endpoint, path, request, attempt, trace);
        return { ...response, attempts: attempt + 1 };
      } catch (error) {
        if (!(error instanceof VendorError)) {
          throw error;
        }
        failed = error.withDetails({ operation, attempts: attempt + 1 });
      }
      if (!failed.retryable || attempt >= this.settings.maxRetries) {
        throw failed;
      }
      // A 429 is refused before any work is done; anything else a POST met may have landed.
      const mayHaveLanded = endpoint.method === 'POST' && failed.kind !== 'rate_limited_volume';
      if (mayHaveLanded && request.landedCheck === undefined) {
        throw failed;
      }
      const retryAfterMs = failed.details.retryAfterMs;
      if (retryAfterMs !== undefined && retryAfterMs > this.settings.retryAfterCapMs) {
        throw failed.withDetails({ reschedule: true });
      }
      await this.clock.sleep(
        retryAfterMs ??
          fullJitterBackoff(attempt, this.settings.retryBaseMs, this.settings.retryMaxMs, this.random),
      );
      // Looked for after the backoff, right before sending again: a POST whose answer timed out may still be on
      // its way to being processed, and the later the look, the likelier it has landed by then.
      if (mayHaveLanded && request.landedCheck !== undefined) {
        const lookup = await request.landedCheck();
        if (lookup.landed) {
          return { status: 200, data: lookup.value, attempts: attempt + 1 };
        }
      }
    }
  }

  /** All items of a paged list, page by page (`pageNumber`/`pageSize`, `X-Pagination`). */
  paginate<T>(
    operation: VendorOperation,
    request: Omit<VendorCall<T[]>, 'landedCheck'>,
    options: { pageSize?: number; maxPages?: number } = {},
  ): AsyncGenerator<T[], void, undefined> {
    const pageSize = options.pageSize ?? 100;
    return paginate<T>(
      async (pageNumber): Promise<FetchedPage<T>> => {
        const response = await this.call<T[]>(operation, {
          ...request,
          query: { ...request.query, pageNumber, pageSize },
        });
        if (!Array.isArray(response.data)) {
          throw new VendorError('protocol', 'Expected a JSON array from a list endpoint', { operation });
        }
        return { items: response.data, pagination: response.pagination };
      },
      { maxPages: options.maxPages, operation },
    );
  }

  onModuleDestroy(): void {
    this.scheduler.stop();
  }

  private async attempt<T>(
    operation: VendorOperation,
    endpoint: VendorEndpoint,
    path: string,
    request: VendorCall<T>,
    attempt: number,
    trace: CallTrace,
  ): Promise<Omit<VendorResponse<T>, 'attempts'>> {
    const startedAt = performance.now();
    trace.vendorRequestId = null;
    let raw: RawVendorResponse;
    let sending = false;
    try {
      raw = await this.scheduler.schedule(
        request.lane,
        async () => {
          if (request.beforeSend !== undefined) {
            await request.beforeSend();
          }
          sending = true;
          trace.sent = true;
          return this.transport.send({
            method: endpoint.method,
            path,
            query: request.query,
            body: request.body,
            token: request.token,
          });
        },
        { priority: request.priority },
      );
    } catch (error) {
      if (!sending) {
        // beforeSend refused the attempt: nothing was sent, so it is no vendor failure (no metric, no circuit).
        throw error;
      }
      const failure =
        error instanceof VendorError ? error : new VendorError('network', 'Vendor request failed');
      this.record(operation, request, attempt, startedAt, failure.kind, failure);
      throw failure;
    }
    trace.vendorRequestId = vendorRequestIdOf(raw.headers);
    if (raw.status >= 200 && raw.status < 300) {
      this.circuits.recordSuccess(request.lane);
      this.record(operation, request, attempt, startedAt, String(raw.status));
      return {
        status: raw.status,
        data: parseBody<T>(raw),
        pagination: parsePaginationHeader(raw.headers['x-pagination']),
      };
    }
    const failure = vendorErrorFromResponse({
      status: raw.status,
      body: raw.body,
      statusText: raw.statusText,
      retryAfterMs: parseRetryAfter(raw.headers['retry-after'], this.clock.nowMs()),
      operation,
    });
    this.record(operation, request, attempt, startedAt, String(raw.status), failure);
    throw failure;
  }

  private record(
    operation: VendorOperation,
    request: VendorCall<unknown>,
    attempt: number,
    startedAt: number,
    outcome: string,
    failure?: VendorError,
  ): void {
    const seconds = (performance.now() - startedAt) / 1000;
    if (failure !== undefined) {
      if (['server', 'network', 'timeout'].includes(failure.kind)) {
        this.circuits.recordFailure(request.lane);
      } else {
        this.circuits.recordNeutral(request.lane);
      }
    }
    this.calls.inc({ operation, outcome });
    this.latency.observe({ operation }, seconds);
    const entry = {
      vendorCall: {
        operation,
        subscriberId: request.subscriberId,
        outcome,
        attempt: attempt + 1,
        latencyMs: Math.round(seconds * 1000),
        ...(failure === undefined
          ? {}
          : { kind: failure.kind, vendorCode: failure.details.vendorCode, message: failure.message }),
      },
    };
    if (failure === undefined) {
      this.logger.debug(entry, 'vendor call');
    } else {
      this.logger.warn(entry, 'vendor call failed');
    }
  }
}

function parseBody<T>(raw: RawVendorResponse): T {
  const text = raw.body;
  if (text.length === 0) {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    if ((raw.headers['content-type'] ?? '').includes('json')) {
      throw new VendorError('protocol', 'The vendor sent malformed JSON', { status: raw.status });
    }
    return text as T;
  }
}
