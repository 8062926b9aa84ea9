import { Injectable } from '@nestjs/common';

import { Clock } from '../common/time/clock';

interface Bucket {
  tokens: number;
  refilledAtMs: number;
}

/** Bursts of this many seconds' worth of deliveries pass at once (senders flush their retry queues). */
const BURST_SECONDS = 2;

/**
 * One token bucket per webhook source, in this process's memory (a second instance has its own buckets).
 * Behind this one class so the state can move to the database without touching the receiver.
 */
@Injectable()
export class WebhookRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  /** Takes a token: 0 when the delivery may pass, otherwise the seconds to wait (for Retry-After). */
  take(sourceId: string, ratePerSecond: number): number {
    const now = this.clock.nowMs();
    const capacity = ratePerSecond * BURST_SECONDS;
    const bucket = this.buckets.get(sourceId) ?? { tokens: capacity, refilledAtMs: now };
    const elapsedSeconds = Math.max(0, now - bucket.refilledAtMs) / 1000;
    bucket.tokens = Math.min(capacity, bucket.tokens + elapsedSeconds * ratePerSecond);
    bucket.refilledAtMs = now;
    this.buckets.set(sourceId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
  }

  /** Forgets a deleted source's bucket. */
  forget(sourceId: string): void {
    this.buckets.delete(sourceId);
  }
}
