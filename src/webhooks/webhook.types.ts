export const WEBHOOK_SCHEMES = ['standard_webhooks', 'hmac_sha256'] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

export const WEBHOOK_ACTIONS = ['onboard', 'offboard', 'reapply', 'health_check'] as const;
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];
/** Actions handed to the provisioning engine as a job; the others run in the webhook worker. */
export const JOB_ACTIONS: readonly WebhookAction[] = ['onboard', 'reapply'];

/**
 * `accepted` → (`processing`) → an end. Onboard and reapply events end as `job_created` (the job was stored) and
 * then follow their job: `job_succeeded` once it succeeded, `job_failed` once it ended otherwise. Offboard and
 * health-check events end `succeeded`; any event that could not be carried out ends `failed`.
 */
export const WEBHOOK_EVENT_STATUSES = [
  'accepted',
  'processing',
  'job_created',
  'job_succeeded',
  'job_failed',
  'succeeded',
  'failed',
] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];
/** The statuses of an event whose job was stored: it follows the job from here. */
export const JOB_EVENT_STATUSES: readonly WebhookEventStatus[] = [
  'job_created',
  'job_succeeded',
  'job_failed',
];
/** Statuses an event rests in (it may be replayed from them). */
export const SETTLED_EVENT_STATUSES: readonly WebhookEventStatus[] = [
  ...JOB_EVENT_STATUSES,
  'succeeded',
  'failed',
];

export const SIGNATURE_ENCODINGS = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

/** How a plain HMAC-SHA256 sender signs (GitHub-style `X-Hub-Signature-256: sha256=<hex>`). */
export interface HmacScheme {
  signatureHeader: string;
  prefix: string;
  encoding: SignatureEncoding;
  /** Where the delivery id is: a header, or (when absent) a payload dot path. */
  idHeader?: string;
  idField?: string;
  /** When set, `${timestamp}.${body}` is signed and the 5-minute tolerance applies; otherwise only the body. */
  timestampHeader?: string;
}

/** Payload dot paths (`data.customer.id`) of the subscriber fields. */
export interface SubscriberMapping {
  ipaasCompanyId: string;
  name?: string;
  externalRef?: string;
}

export interface WebhookRule {
  eventType: string;
  action: WebhookAction;
  templateId?: string;
  subscriber: SubscriberMapping;
  /** Template variable name → payload dot path. */
  vars?: Record<string, string>;
}
