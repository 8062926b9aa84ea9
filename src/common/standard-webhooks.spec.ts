import { newWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from './standard-webhooks';

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

describe('Standard Webhooks verification', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = Buffer.from('{"test": 2432232314}');
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const at = (offsetSeconds: number) => (timestamp + offsetSeconds) * 1000;
  const delivery = { id, timestamp: String(timestamp), signature, body };

  it('accepts the reference vector, with or without the whsec_ prefix', () => {
    expect(verifyWebhook(delivery, [secret], at(0))).toEqual({ valid: true });
    expect(verifyWebhook(delivery, [secret.slice('whsec_'.length)], at(0))).toEqual({ valid: true });
  });

  it('accepts a list where one v1 signature matches, ignoring other versions and other secrets', () => {
    const list = `v1a,${'A'.repeat(86)}== v2,abc v1,${Buffer.alloc(32).toString('base64')} ${signature}`;
    expect(verifyWebhook({ ...delivery, signature: list }, [newWebhookSecret(), secret], at(0))).toEqual({
      valid: true,
    });
  });

  it.each([
    ['a missing id', { id: undefined }],
    ['a missing timestamp', { timestamp: undefined }],
    ['a missing signature', { signature: undefined }],
    ['an empty signature list', { signature: '' }],
    ['a non-numeric timestamp', { timestamp: `${timestamp}x` }],
    ['a truncated signature', { signature: signature.slice(0, 20) }],
    ['an unknown version only', { signature: signature.replace('v1,', 'v2,') }],
    ['another body', { body: Buffer.from('{"test": 2432232315}') }],
  ])('rejects %s', (_name, change) => {
    expect(verifyWebhook({ ...delivery, ...change }, [secret], at(0)).valid).toBe(false);
  });

  it('rejects timestamps more than 5 minutes old or ahead, accepts them at the edge', () => {
    expect(verifyWebhook(delivery, [secret], at(300)).valid).toBe(true);
    expect(verifyWebhook(delivery, [secret], at(-300)).valid).toBe(true);
    expect(verifyWebhook(delivery, [secret], at(301)).valid).toBe(false);
    expect(verifyWebhook(delivery, [secret], at(-301)).valid).toBe(false);
  });

  it('rejects when no secret is active', () => {
    expect(verifyWebhook(delivery, [], at(0)).valid).toBe(false);
  });
});
