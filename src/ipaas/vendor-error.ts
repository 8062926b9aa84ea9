import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { DUPLICATE_VENDOR_CODES } from './vendor-endpoints';

/**
 * A failed vendor call, classified once at the boundary. Callers decide on `kind`, never on raw statuses.
 */
export type VendorErrorKind =
  | 'auth'
  | 'forbidden'
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'rate_limited_volume'
  | 'rate_limited_monthly'
  | 'server'
  | 'network'
  | 'timeout'
  | 'protocol'
  | 'circuit_open';

/**
 * The problem a Tenantry caller gets for each kind. A vendor 4xx is an answer about the request (unknown
 * company, invalid value, duplicate) and maps to a 4xx; only vendor faults map to 502/503, which read as an
 * outage. Retry decisions never use these codes: the provisioning ledger classifies by kind
 * (src/provisioning/ledger/item-failures.ts).
 */
const APP_CODE_BY_KIND: Record<VendorErrorKind, ErrorCode> = {
  auth: ErrorCode.VENDOR_CREDENTIAL_REJECTED,
  forbidden: ErrorCode.VENDOR_REJECTED,
  validation: ErrorCode.VENDOR_REJECTED,
  not_found: ErrorCode.VENDOR_NOT_FOUND,
  conflict: ErrorCode.VENDOR_CONFLICT,
  rate_limited_volume: ErrorCode.VENDOR_RATE_LIMITED,
  rate_limited_monthly: ErrorCode.VENDOR_QUOTA_EXHAUSTED,
  server: ErrorCode.VENDOR_UNAVAILABLE,
  network: ErrorCode.VENDOR_UNAVAILABLE,
  timeout: ErrorCode.VENDOR_UNAVAILABLE,
  protocol: ErrorCode.VENDOR_ERROR,
  circuit_open: ErrorCode.VENDOR_UNAVAILABLE,
};

const RETRYABLE: ReadonlySet<VendorErrorKind> = new Set([
  'server',
  'network',
  'timeout',
  'rate_limited_volume',
]);

export class VendorError extends Error {
  constructor(
    readonly kind: VendorErrorKind,
    message: string,
    readonly details: {
      status?: number;
      /** `AUTH-1002` and the like, when the body or reason phrase carries one. */
      vendorCode?: string;
      retryAfterMs?: number;
      operation?: string;
      /** Set when Retry-After asks for longer than the client sleeps through: the caller should reschedule. */
      reschedule?: boolean;
      attempts?: number;
    } = {},
  ) {
    super(message);
    this.name = 'VendorError';
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** The problem a Tenantry caller sees: the kind, status and vendor code, and the vendor's own message. */
  toAppError(): AppError {
    const code = APP_CODE_BY_KIND[this.kind];
    const retryAfterSeconds =
      this.details.retryAfterMs === undefined ? undefined : Math.ceil(this.details.retryAfterMs / 1000);
    return new AppError(code, `iPaaS.com: ${this.message}`, {
      extensions: {
        vendor: {
          kind: this.kind,
          status: this.details.status,
          code: this.details.vendorCode,
          operation: this.details.operation,
        },
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      },
      headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
    });
  }

  withDetails(extra: Partial<VendorError['details']>): VendorError {
    return new VendorError(this.kind, this.message, { ...this.details, ...extra });
  }
}

/**
 * The vendor refused a write because what it would create is there already: a 400/409 carrying one of `codes`
 * (by default the endpoint table's duplicate codes).
 */
export function answeredAlreadyExists(
  error: unknown,
  codes: ReadonlySet<string> = DUPLICATE_VENDOR_CODES,
): error is VendorError {
  return (
    error instanceof VendorError &&
    (error.kind === 'validation' || error.kind === 'conflict') &&
    error.details.vendorCode !== undefined &&
    codes.has(error.details.vendorCode)
  );
}

const VENDOR_CODE = /\b(AUTH|AUTZ|VALD|BIZL|NFND|INTL)-\d{4}\b/;
// The vendor says which 429 it is only in the message text (../shared/ipaas-api.md §0, §8).
const MONTHLY_LIMIT = /month|billing|plan limit|overage|quota/i;
const MAX_MESSAGE_LENGTH = 500;

/** The useful text of an error: JSON `message`/`title`/`detail`, else the plaintext body, else the reason phrase. */
export function vendorMessage(body: string, statusText: string | undefined): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>;
      const candidate = [parsed.message, parsed.detail, parsed.title, parsed.error].find(
        (value): value is string => typeof value === 'string' && value.length > 0,
      );
      const code = typeof parsed.code === 'string' ? parsed.code : undefined;
      if (candidate !== undefined) {
        return (code && !candidate.includes(code) ? `${code} ${candidate}` : candidate).slice(
          0,
          MAX_MESSAGE_LENGTH,
        );
      }
    } catch {
      // Not JSON after all: fall through to the raw text.
    }
  }
  if (trimmed.length > 0 && !trimmed.startsWith('<')) {
    return trimmed.slice(0, MAX_MESSAGE_LENGTH);
  }
  return (statusText ?? '').trim().slice(0, MAX_MESSAGE_LENGTH);
}

export function kindForStatus(status: number, message: string): VendorErrorKind {
  if (status === 401) {
    return 'auth';
  }
  if (status === 403) {
    return 'forbidden';
  }
  if (status === 404) {
    return 'not_found';
  }
  if (status === 409) {
    return 'conflict';
  }
  if (status === 429) {
    return MONTHLY_LIMIT.test(message) ? 'rate_limited_monthly' : 'rate_limited_volume';
  }
  if (status >= 500) {
    return 'server';
  }
  return 'validation';
}

/** Classifies a non-2xx vendor answer. */
export function vendorErrorFromResponse(input: {
  status: number;
  body: string;
  statusText?: string;
  retryAfterMs?: number;
  operation?: string;
}): VendorError {
  const message = vendorMessage(input.body, input.statusText) || `HTTP ${input.status}`;
  const kind = kindForStatus(input.status, message);
  return new VendorError(kind, message, {
    status: input.status,
    vendorCode: VENDOR_CODE.exec(message)?.[0],
    retryAfterMs: input.retryAfterMs,
    operation: input.operation,
  });
}
