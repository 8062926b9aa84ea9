export const ALERT_KINDS = [
  'health.degraded',
  'health.unhealthy',
  'health.recovered',
  'credential.expiring',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A confirmed change in a subscriber's state (the caller debounces; every raise is one alert). */
export interface AlertInput {
  subscriberId: string;
  kind: AlertKind;
  from: string | null;
  to: string;
  reasons: string[];
  at: Date;
}

export const DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** What viewers see of a delivery: coarse, never the raw network error (it would make alerts a port scanner). */
export const DELIVERY_OUTCOMES = ['pending', 'delivered', 'retrying', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
