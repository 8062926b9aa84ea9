import { newWebhookSecret, signWebhook, webhookHeaders } from './standard-webhooks';

describe('Standard Webhooks signing', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const payload = '{"test": 2432232314}';

  it('matches the reference vector of the specification', () => {
    expect(signWebhook(secret, id, timestamp, payload)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('changes when the body, the id or the timestamp change', () => {
    const reference = signWebhook(secret, id, timestamp, payload);
    expect(signWebhook(secret, id, timestamp, '{"test": 2432232315}')).not.toBe(reference);
    expect(signWebhook(secret, 'msg_other', timestamp, payload)).not.toBe(reference);
    expect(signWebhook(secret, id, timestamp + 1, payload)).not.toBe(reference);
  });

  it('builds the three headers', () => {
    expect(webhookHeaders(secret, id, timestamp, payload)).toEqual({
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('creates whsec_ secrets of 32 random bytes', () => {
    const created = newWebhookSecret();
    expect(created).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(created);
  });
});
