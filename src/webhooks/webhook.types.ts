export const WEBHOOK_SCHEMES = ['standard_webhooks', 'hmac_sha256'] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

export const WEBHOOK_ACTIONS = ['onboard', 'offboard', 'reapply', 'health_check'] as const;
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];
/** Actions handed to the provisioning engine as a job; the others run in the webhook worker. */
export const JOB_ACTIONS: readonly WebhookAction[] = ['onboard', 'reapply'];

export const WEBHOOK_EVENT_STATUSES = ['accepted', 'processing', 'succeeded', 'failed'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

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
