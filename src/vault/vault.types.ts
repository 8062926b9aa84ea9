/** What a sealed value is. Part of the associated data, so a ciphertext cannot be replayed as another kind. */
export const SECRET_KINDS = [
  'misp_password',
  'company_api_key',
  'company_access_token',
  'company_refresh_token',
  'alert_signing_secret',
  'webhook_signing_secret',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/**
 * Whose secret it is: `subscriber:<subscriberId>` or `misp:<accountId>`. Part of the associated data, so a
 * ciphertext copied into another company's row does not decrypt.
 */
export type SecretOwner =
  `subscriber:${string}` | `misp:${string}` | `alert-destination:${string}` | `webhook-source:${string}`;

export interface SealContext {
  owner: SecretOwner;
  kind: SecretKind;
}

export function subscriberOwner(subscriberId: string): SecretOwner {
  return `subscriber:${subscriberId}`;
}

export function mispOwner(accountId: string): SecretOwner {
  return `misp:${accountId}`;
}

export function alertDestinationOwner(destinationId: string): SecretOwner {
  return `alert-destination:${destinationId}`;
}

/** A webhook source's signing secret, by the id of its secret row (one source has several during a rotation). */
export function webhookSourceOwner(secretId: string): SecretOwner {
  return `webhook-source:${secretId}`;
}
