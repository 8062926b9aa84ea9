import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';

import { AppError } from './app-error';
import { ERROR_CATALOG, ErrorCode } from './error-code';
import { resolveProblem } from './problem-details';

describe('resolveProblem', () => {
  const context = { requestId: 'r-1', path: '/v1/x' };

  it('should map an AppError through the catalogue with its extensions and headers', () => {
    const error = new AppError(ErrorCode.RATE_LIMITED, 'Slow down', {
      extensions: { retryAfterSeconds: 3 },
      headers: { 'Retry-After': '3' },
    });
    expect(resolveProblem(error, context)).toEqual({
      body: {
        type: '/v1/problems/RATE_LIMITED',
        title: 'Too many requests',
        status: 429,
        detail: 'Slow down',
        code: 'RATE_LIMITED',
        retryAfterSeconds: 3,
        requestId: 'r-1',
        instance: '/v1/x',
      },
      headers: { 'Retry-After': '3' },
      unexpected: false,
    });
  });

  it('should give every code a status and a title', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(ERROR_CATALOG[code].status).toBeGreaterThanOrEqual(400);
      expect(ERROR_CATALOG[code].title.length).toBeGreaterThan(3);
    }
  });

  it('should map framework exceptions by status', () => {
    expect(resolveProblem(new NotFoundException('Cannot GET /x'), context).body).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      detail: 'Cannot GET /x',
    });
    const notReady = resolveProblem(new ServiceUnavailableException({ status: 'error' }), context);
    expect(notReady.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', checks: { status: 'error' } });
    expect(notReady.unexpected).toBe(false);
  });

  it('should hide everything about an unknown error', () => {
    const resolved = resolveProblem(new TypeError('cannot read password of undefined'), context);
    expect(resolved.unexpected).toBe(true);
    expect(resolved.body.detail).toBe('An unexpected error occurred');
    expect(JSON.stringify(resolved.body)).not.toContain('password');
  });

  it('should map body-parser failures to stable codes', () => {
    expect(resolveProblem({ type: 'entity.too.large', status: 413 }, context).body.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(resolveProblem({ type: 'entity.parse.failed', status: 400 }, context).body.code).toBe(
      'MALFORMED_JSON',
    );
  });
});
