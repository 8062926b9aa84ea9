import { ERROR_CATALOG } from '../common/errors/error-code';
import { kindForStatus, VendorError, vendorErrorFromResponse, vendorMessage } from './vendor-error';

describe('vendor error classification', () => {
  it.each([
    [400, 'VALD-1047 Email Address and/or password is null or empty', 'validation', false],
    [401, 'AUTH-1002 access token invalid', 'auth', false],
    [403, 'AUTZ-1002 permission', 'forbidden', false],
    [404, 'NFND-1005 not found', 'not_found', false],
    [409, 'BIZL-1006 must be unique', 'conflict', false],
    [429, 'Too many requests: temporary volume restriction', 'rate_limited_volume', true],
    [429, 'Monthly API call limit reached for your plan', 'rate_limited_monthly', false],
    [500, 'INTL-1001 error', 'server', true],
    [502, '', 'server', true],
    [503, '<html>Service Unavailable</html>', 'server', true],
  ] as const)('should classify %i "%s" as %s (retryable: %s)', (status, body, kind, retryable) => {
    const error = vendorErrorFromResponse({ status, body, statusText: 'Reason' });
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(kindForStatus(status, error.message)).toBe(kind);
  });

  it('should read the vendor code from plaintext, JSON and the reason phrase', () => {
    expect(vendorErrorFromResponse({ status: 401, body: 'AUTH-1002 token expired' }).details.vendorCode).toBe(
      'AUTH-1002',
    );
    expect(
      vendorErrorFromResponse({ status: 401, body: '{"code":"AUTH-1001","message":"Bearer token missing"}' })
        .details.vendorCode,
    ).toBe('AUTH-1001');
    expect(
      vendorErrorFromResponse({ status: 401, body: '', statusText: 'AUTH-1004 Company not found' }).details
        .vendorCode,
    ).toBe('AUTH-1004');
  });

  it('should prefer the body, ignore HTML, and fall back to the reason phrase', () => {
    expect(vendorMessage('plain text', 'Bad Request')).toBe('plain text');
    expect(vendorMessage('<html>x</html>', 'Bad Gateway')).toBe('Bad Gateway');
    expect(vendorMessage('', 'monthly API call limit')).toBe('monthly API call limit');
    expect(vendorMessage('x'.repeat(2000), undefined)).toHaveLength(500);
  });

  it('should turn into a problem that names the kind and keeps Retry-After', () => {
    const problem = vendorErrorFromResponse({ status: 429, body: 'volume', retryAfterMs: 2500 }).toAppError();
    expect(problem.code).toBe('VENDOR_RATE_LIMITED');
    expect(problem.options.headers).toEqual({ 'Retry-After': '3' });
    expect(problem.options.extensions).toMatchObject({
      vendor: { kind: 'rate_limited_volume', status: 429 },
    });
  });

  // A vendor 4xx is an answer about the request: it must not read as an outage (502/503 page on-call).
  it.each([
    [400, 'VENDOR_REJECTED', 422, 'VALD-1008 companyId is not in the correct format.'],
    [403, 'VENDOR_REJECTED', 422, 'AUTZ-1002 permission'],
    [404, 'VENDOR_NOT_FOUND', 404, 'NFND-1005 Subscriber company was not found'],
    [409, 'VENDOR_CONFLICT', 409, 'BIZL-1006 must be unique'],
    [422, 'VENDOR_REJECTED', 422, 'VALD-1020 out of range'],
    [401, 'VENDOR_CREDENTIAL_REJECTED', 422, 'AUTH-1002 token expired'],
    [500, 'VENDOR_UNAVAILABLE', 503, 'INTL-1001 error'],
    [503, 'VENDOR_UNAVAILABLE', 503, ''],
  ] as const)(
    'should answer a vendor %i as %s (%i) with the vendor code and message',
    (status, code, httpStatus, body) => {
      const problem = vendorErrorFromResponse({
        status,
        body,
        statusText: 'Reason',
        operation: 'op',
      }).toAppError();
      expect(problem.code).toBe(code);
      expect(ERROR_CATALOG[problem.code].status).toBe(httpStatus);
      if (body !== '') {
        expect(problem.detail).toBe(`iPaaS.com: ${body}`);
      }
      expect(problem.options.extensions).toMatchObject({ vendor: { status, operation: 'op' } });
    },
  );

  it('should keep 502/503 for faults: network, timeout, open circuit and unusable answers', () => {
    const statusOf = (error: VendorError): number => ERROR_CATALOG[error.toAppError().code].status;
    expect(statusOf(new VendorError('network', 'ECONNRESET'))).toBe(503);
    expect(statusOf(new VendorError('timeout', 'timed out'))).toBe(503);
    expect(statusOf(new VendorError('circuit_open', 'open'))).toBe(503);
    expect(statusOf(new VendorError('protocol', 'Pagination exceeded 1000 pages'))).toBe(502);
  });
});
