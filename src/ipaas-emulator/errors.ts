/**
 * Vendor errors. Section 0 of the API notes: the message is returned as the body in plaintext. The
 * JSON and reason-phrase renderings exist so the client can be proven to survive all three (section 13.6).
 */
export type ErrorMode = 'plaintext' | 'json' | 'reason-phrase';
export const ERROR_MODES: readonly ErrorMode[] = ['plaintext', 'json', 'reason-phrase'];

const HELP: Record<string, string> = {
  AUTH: 'https://support.ipaas.com/en/articles/15461548-authentication-errors',
  AUTZ: 'https://support.ipaas.com/en/articles/15461553-authorization-and-permission-errors',
  VALD: 'https://support.ipaas.com/en/articles/15461520-required-field-errors',
  BIZL: 'https://support.ipaas.com/en/articles/15461527-duplicate-detection-errors',
  NFND: 'https://support.ipaas.com/en/articles/15461551-external-id-errors',
  INTL: 'https://support.ipaas.com/en/articles/15461521-server-errors',
  RATE: 'https://support.ipaas.com/en/articles/11646596-working-with-api-rate-limits',
};

export class VendorError extends Error {
  constructor(
    readonly status: number,
    /** `CATEGORY-NNNN`, or null where the vendor publishes no code (429s, unknown routes). */
    readonly code: string | null,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'VendorError';
  }
}

export const VOLUME_MESSAGE =
  'Too many requests: this resource is under a temporary volume restriction. Slow down and retry later.';
export const MONTHLY_MESSAGE =
  'Too many requests: the monthly API call limit of your billing plan has been reached and overage is not allowed.';

export const err = {
  authMissing: () => new VendorError(401, 'AUTH-1001', 'Bearer token is missing or invalid.'),
  authInvalid: () => new VendorError(401, 'AUTH-1001', 'Bearer token is missing or invalid.'),
  authExpired: () =>
    new VendorError(401, 'AUTH-1002', 'Access token is invalid or expired, please log in again.'),
  authNoAccess: (what = 'this API') =>
    new VendorError(401, 'AUTH-1003', `The provided token does not have access to ${what}.`),
  companyNotFound: (id: string) =>
    new VendorError(401, 'AUTH-1004', `Company not found by id (${id}) provided.`),
  badCredentials: () => new VendorError(401, 'AUTH-1001', 'Invalid email address or password.'),
  loginFieldsMissing: () =>
    new VendorError(400, 'VALD-1047', 'Email Address and/or password is null or empty.'),
  refreshMissing: () => new VendorError(400, 'VALD-1080', 'Refresh Token is null or empty in your request.'),
  required: (field: string) => new VendorError(400, 'VALD-1002', `Required field ${field} is null or empty.`),
  emptyRequest: () => new VendorError(400, 'VALD-1003', 'Request is null, empty or not valid JSON.'),
  emailMissing: () => new VendorError(400, 'VALD-1021', 'Email address is null or empty.'),
  idNotInteger: (field = 'id') => new VendorError(400, 'VALD-1004', `${field} must be an integer.`),
  idNotPositive: (field = 'id') => new VendorError(400, 'VALD-1005', `${field} must be greater than 0.`),
  idFormat: (field = 'id') => new VendorError(400, 'VALD-1008', `${field} is not in the correct format.`),
  notAllowed: (field: string, allowed: readonly (string | number)[]) =>
    new VendorError(400, 'VALD-1010', `${field} must be one of: ${allowed.join(', ')}.`),
  outOfRange: (field: string) => new VendorError(400, 'VALD-1020', `${field} is out of range.`),
  invalidHook: (why: string) => new VendorError(400, 'VALD-1042', `Invalid webhook payload: ${why}.`),
  duplicate: (code: string, what: string) => new VendorError(400, code, `${what} already exists.`),
  rule: (code: string, message: string) => new VendorError(400, code, message),
  notFound: (what: string, id: string | number) =>
    new VendorError(404, 'NFND-1005', `${what} not found by id (${id}).`),
  routeNotFound: () =>
    new VendorError(404, null, 'The requested resource does not exist or cannot be found by the URL.'),
  volume: (retryAfterSeconds: number | null) =>
    new VendorError(
      429,
      null,
      VOLUME_MESSAGE,
      retryAfterSeconds === null ? {} : { 'Retry-After': String(retryAfterSeconds) },
    ),
  monthly: () => new VendorError(429, null, MONTHLY_MESSAGE),
  internal: (message: string) => new VendorError(500, 'INTL-1001', message),
};

export interface RenderedError {
  status: number;
  reason?: string;
  headers: Record<string, string>;
  body: string;
}

function text(e: VendorError): string {
  return e.code ? `${e.code} ${e.message}` : e.message;
}

/** The one serializer of vendor errors (JSON field names are provisional and live only here). */
export function renderError(e: VendorError, mode: ErrorMode): RenderedError {
  if (mode === 'json') {
    const category = e.code ? e.code.slice(0, 4) : e.status === 429 ? 'RATE' : '';
    return {
      status: e.status,
      headers: { ...e.headers, 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ code: e.code, message: e.message, help_url: HELP[category] ?? null }),
    };
  }
  if (mode === 'reason-phrase') {
    // Reason phrases must be a single line of visible ASCII.
    const reason = text(e).replace(/[^\x20-\x7e]/g, ' ');
    return { status: e.status, reason, headers: { ...e.headers }, body: '' };
  }
  return {
    status: e.status,
    headers: { ...e.headers, 'Content-Type': 'text/plain; charset=utf-8' },
    body: text(e),
  };
}
