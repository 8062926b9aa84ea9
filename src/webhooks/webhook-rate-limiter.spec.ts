import { OffsetClock } from '../common/time/clock';
import { WebhookRateLimiter } from './webhook-rate-limiter';

describe('WebhookRateLimiter', () => {
  it('lets a burst of twice the rate through, then asks to wait, and refills with time; sources are separate', () => {
    const clock = new OffsetClock(() => 1_000_000);
    const limiter = new WebhookRateLimiter(clock);
    const taken = Array.from({ length: 5 }, () => limiter.take('a', 2));
    expect(taken).toEqual([0, 0, 0, 0, 1]);
    expect(limiter.take('b', 2)).toBe(0);
    clock.advance(500);
    expect(limiter.take('a', 2)).toBe(0);
    expect(limiter.take('a', 2)).toBe(1);
  });
});
