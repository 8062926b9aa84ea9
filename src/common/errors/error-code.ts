/**
 * Every stable error code Tenantry returns. Clients match on `code`, never on `title` or `detail`.
 * A new code does not compile until `ERROR_CATALOG` gives it a status and a title.
 */
export enum ErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  MALFORMED_JSON = 'MALFORMED_JSON',
  BODY_TOO_DEEP = 'BODY_TOO_DEEP',
  BAD_REQUEST = 'BAD_REQUEST',
  UNAUTHORIZED = 'UNAUTHORIZED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  CONFLICT = 'CONFLICT',
  STAFF_OWNS_API_KEYS = 'STAFF_OWNS_API_KEYS',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  HEADERS_TOO_LARGE = 'HEADERS_TOO_LARGE',
  REQUEST_TIMEOUT = 'REQUEST_TIMEOUT',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  UNPROCESSABLE = 'UNPROCESSABLE',
  RATE_LIMITED = 'RATE_LIMITED',
  INTERNAL = 'INTERNAL',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  VAULT_DECRYPT_FAILED = 'VAULT_DECRYPT_FAILED',
  VENDOR_ERROR = 'VENDOR_ERROR',
  VENDOR_REJECTED = 'VENDOR_REJECTED',
  VENDOR_NOT_FOUND = 'VENDOR_NOT_FOUND',
  VENDOR_CONFLICT = 'VENDOR_CONFLICT',
  VENDOR_UNAVAILABLE = 'VENDOR_UNAVAILABLE',
  VENDOR_RATE_LIMITED = 'VENDOR_RATE_LIMITED',
  VENDOR_QUOTA_EXHAUSTED = 'VENDOR_QUOTA_EXHAUSTED',
  VENDOR_LOGIN_FAILED = 'VENDOR_LOGIN_FAILED',
  VENDOR_CREDENTIAL_REJECTED = 'VENDOR_CREDENTIAL_REJECTED',
  VENDOR_CONFLICT_UNRESOLVED = 'VENDOR_CONFLICT_UNRESOLVED',
  CREDENTIAL_INVALID = 'CREDENTIAL_INVALID',
  MISP_ACCOUNT_MISSING = 'MISP_ACCOUNT_MISSING',
  MISP_COMPANY_UNRESOLVED = 'MISP_COMPANY_UNRESOLVED',
  SUBSCRIBER_STATE_CONFLICT = 'SUBSCRIBER_STATE_CONFLICT',
  SUBSCRIBER_INACTIVE = 'SUBSCRIBER_INACTIVE',
  SUBSCRIBER_UNHEALTHY = 'SUBSCRIBER_UNHEALTHY',
  SUBSCRIBER_SYNC_RUNNING = 'SUBSCRIBER_SYNC_RUNNING',
  SUBSCRIBER_UNKNOWN_AT_VENDOR = 'SUBSCRIBER_UNKNOWN_AT_VENDOR',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_KEY_IN_USE = 'IDEMPOTENCY_KEY_IN_USE',
  PROVISIONING_JOB_STATE_CONFLICT = 'PROVISIONING_JOB_STATE_CONFLICT',
  RELATIONSHIP_NOT_ACTIVE = 'RELATIONSHIP_NOT_ACTIVE',
  WEBHOOK_SIGNATURE_INVALID = 'WEBHOOK_SIGNATURE_INVALID',
  WEBHOOK_PAYLOAD_UNUSABLE = 'WEBHOOK_PAYLOAD_UNUSABLE',
  OUTBOUND_URL_REFUSED = 'OUTBOUND_URL_REFUSED',
}

export interface ErrorCatalogEntry {
  status: number;
  title: string;
}

export const ERROR_CATALOG = {
  [ErrorCode.VALIDATION_FAILED]: { status: 400, title: 'The request is not valid' },
  [ErrorCode.MALFORMED_JSON]: { status: 400, title: 'The request body is not valid JSON' },
  [ErrorCode.BODY_TOO_DEEP]: { status: 400, title: 'The request body nests arrays or objects too deeply' },
  [ErrorCode.BAD_REQUEST]: { status: 400, title: 'Bad request' },
  [ErrorCode.UNAUTHORIZED]: { status: 401, title: 'Authentication is required' },
  [ErrorCode.FORBIDDEN]: { status: 403, title: 'Not allowed for this caller' },
  [ErrorCode.NOT_FOUND]: { status: 404, title: 'Not found' },
  [ErrorCode.METHOD_NOT_ALLOWED]: { status: 405, title: 'Method not allowed' },
  [ErrorCode.CONFLICT]: { status: 409, title: 'Conflict with the current state' },
  [ErrorCode.STAFF_OWNS_API_KEYS]: {
    status: 409,
    title: 'The staff user owns active API keys: delete with ?keys=revoke or ?keys=transfer:<staff id>',
  },
  [ErrorCode.PAYLOAD_TOO_LARGE]: { status: 413, title: 'The request body is too large' },
  [ErrorCode.HEADERS_TOO_LARGE]: { status: 431, title: 'The request line or headers are too large' },
  [ErrorCode.REQUEST_TIMEOUT]: { status: 408, title: 'The request was not received in time' },
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: { status: 415, title: 'Unsupported media type' },
  [ErrorCode.UNPROCESSABLE]: { status: 422, title: 'The request cannot be processed' },
  [ErrorCode.RATE_LIMITED]: { status: 429, title: 'Too many requests' },
  [ErrorCode.INTERNAL]: { status: 500, title: 'Internal server error' },
  [ErrorCode.SERVICE_UNAVAILABLE]: { status: 503, title: 'Service unavailable' },
  // A stored ciphertext that does not open is a server-side data problem (tampered row, wrong key), never
  // something the caller can fix by changing the request.
  [ErrorCode.VAULT_DECRYPT_FAILED]: { status: 500, title: 'A stored secret could not be decrypted' },
  // Vendor answers about the request (4xx) are the caller's to fix and answer 4xx; only vendor faults (an
  // answer Tenantry cannot use, 5xx, timeouts, network) are 502/503, which read as an outage.
  [ErrorCode.VENDOR_ERROR]: { status: 502, title: 'iPaaS.com gave an answer Tenantry cannot use' },
  [ErrorCode.VENDOR_REJECTED]: {
    status: 422,
    title: "iPaaS.com refused the request (a vendor 400 or 403); see the vendor's code and message",
  },
  [ErrorCode.VENDOR_NOT_FOUND]: {
    status: 404,
    title: 'iPaaS.com does not know what the request names (a vendor 404)',
  },
  [ErrorCode.VENDOR_CONFLICT]: {
    status: 409,
    title:
      "iPaaS.com refused the request as conflicting with its state (a vendor 409); see the vendor's code",
  },
  [ErrorCode.VENDOR_UNAVAILABLE]: {
    status: 503,
    title: 'iPaaS.com is unreachable for this company right now',
  },
  [ErrorCode.VENDOR_RATE_LIMITED]: { status: 503, title: 'iPaaS.com asked to slow down; try again later' },
  [ErrorCode.VENDOR_QUOTA_EXHAUSTED]: {
    status: 409,
    title: "The company's monthly iPaaS.com call allowance is used up",
  },
  [ErrorCode.VENDOR_LOGIN_FAILED]: { status: 422, title: 'iPaaS.com refused the MiSP login' },
  [ErrorCode.VENDOR_CREDENTIAL_REJECTED]: { status: 422, title: 'iPaaS.com refused the company credential' },
  [ErrorCode.VENDOR_CONFLICT_UNRESOLVED]: {
    status: 409,
    title: 'iPaaS.com says the resource already exists, but reading it again does not find it',
  },
  [ErrorCode.CREDENTIAL_INVALID]: {
    status: 409,
    title: 'The company credential is marked invalid; no calls are made until staff replace it',
  },
  [ErrorCode.MISP_ACCOUNT_MISSING]: { status: 409, title: 'No MiSP login is stored (PUT /v1/misp-account)' },
  [ErrorCode.MISP_COMPANY_UNRESOLVED]: {
    status: 409,
    title: 'The MiSP company could not be determined (set IPAAS_MISP_COMPANY_ID)',
  },
  [ErrorCode.SUBSCRIBER_STATE_CONFLICT]: {
    status: 409,
    title: "The operation is not allowed in the subscriber's relationship status",
  },
  [ErrorCode.SUBSCRIBER_INACTIVE]: {
    status: 409,
    title:
      'The subscriber is suspended, offboarded or not yet verified at iPaaS.com; no vendor calls are made for it',
  },
  [ErrorCode.SUBSCRIBER_UNHEALTHY]: {
    status: 409,
    title: "The subscriber's last confirmed health check was unhealthy; bulk work skips it until it recovers",
  },
  [ErrorCode.SUBSCRIBER_SYNC_RUNNING]: { status: 409, title: 'A subscriber sync is already running' },
  [ErrorCode.SUBSCRIBER_UNKNOWN_AT_VENDOR]: {
    status: 422,
    title:
      'iPaaS.com does not list the company for the MiSP (neither served nor requesting); nothing was stored',
  },
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: {
    status: 422,
    title: 'The Idempotency-Key was already used with a different request',
  },
  [ErrorCode.IDEMPOTENCY_KEY_IN_USE]: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed; retry later',
  },
  [ErrorCode.PROVISIONING_JOB_STATE_CONFLICT]: {
    status: 409,
    title: "The operation is not allowed in the provisioning job's state",
  },
  [ErrorCode.RELATIONSHIP_NOT_ACTIVE]: {
    status: 409,
    title: 'The subscriber did not grant the MiSP access (an active role share) in time',
  },
  [ErrorCode.WEBHOOK_SIGNATURE_INVALID]: {
    status: 401,
    title: 'The webhook signature is missing, does not match, or its timestamp is outside the tolerance',
  },
  [ErrorCode.WEBHOOK_PAYLOAD_UNUSABLE]: {
    status: 422,
    title: 'The webhook payload is not JSON, has no rule for its event type, or lacks the mapped fields',
  },
  [ErrorCode.OUTBOUND_URL_REFUSED]: {
    status: 400,
    title:
      'The server does not call this URL (not http(s), userinfo, or a loopback, private, link-local or metadata address)',
  },
} as const satisfies Record<ErrorCode, ErrorCatalogEntry>;

/** The problem `type` URI of a code; `GET /v1/problems/{code}` describes it. */
export function problemTypeUri(code: ErrorCode): string {
  return `/v1/problems/${code}`;
}
