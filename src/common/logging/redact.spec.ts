import { REDACTED, redactSecrets } from './redact';

describe('redactSecrets', () => {
  it('should mask secret-looking keys at any depth and keep the rest', () => {
    const input = {
      authorization: 'Bearer abc',
      user: { email: 'a@b.c', password: 'pw', profile: { apiKey: 'k', api_key: 'k2', 'x-api-key': 'k3' } },
      list: [{ refresh_token: 't' }, { name: 'ok' }],
      cookie: 'sid=1',
      clientSecret: 's',
    };
    expect(redactSecrets(input)).toEqual({
      authorization: REDACTED,
      user: {
        email: 'a@b.c',
        password: REDACTED,
        profile: { apiKey: REDACTED, api_key: REDACTED, 'x-api-key': REDACTED },
      },
      list: [{ refresh_token: REDACTED }, { name: 'ok' }],
      cookie: REDACTED,
      clientSecret: REDACTED,
    });
  });

  it('should not modify its input or walk into class instances', () => {
    const error = new Error('boom');
    const input = { password: 'pw', err: error };
    const output = redactSecrets(input) as typeof input;
    expect(input.password).toBe('pw');
    expect(output.err).toBe(error);
  });
});
