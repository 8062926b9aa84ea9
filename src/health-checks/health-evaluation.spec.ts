import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { VendorError } from '../ipaas/vendor-error';
import { alertKindOf, confirmedTransition, findingOf } from './health-evaluation';

describe('health evaluation', () => {
  it('maps failures to statuses and reason codes', () => {
    expect(findingOf(new VendorError('rate_limited_monthly', 'monthly'))).toEqual({
      status: 'degraded',
      reasons: ['QUOTA_EXHAUSTED'],
    });
    expect(findingOf(new VendorError('server', '500'))).toEqual({
      status: 'unhealthy',
      reasons: ['VENDOR_UNAVAILABLE'],
    });
    expect(findingOf(new AppError(ErrorCode.CREDENTIAL_INVALID, 'x')).reasons).toEqual([
      'CREDENTIAL_INVALID',
    ]);
    expect(findingOf(new AppError(ErrorCode.MISP_ACCOUNT_MISSING, 'x')).reasons).toEqual([
      'CREDENTIAL_MISSING',
    ]);
  });

  it('adopts a worse status only after the confirmations, a better one at once', () => {
    expect(confirmedTransition('healthy', ['unhealthy'], 2)).toBeNull();
    expect(confirmedTransition('healthy', ['unhealthy', 'healthy'], 2)).toBeNull();
    expect(confirmedTransition('healthy', ['unhealthy', 'unhealthy'], 2)).toBe('unhealthy');
    expect(confirmedTransition('unhealthy', ['healthy', 'unhealthy'], 2)).toBe('healthy');
    expect(confirmedTransition('unknown', ['healthy'], 2)).toBe('healthy');
    expect(confirmedTransition('degraded', ['degraded', 'healthy'], 2)).toBeNull();
  });

  it('alerts on every confirmed change except a first healthy check', () => {
    expect(alertKindOf('unknown', 'healthy')).toBeNull();
    expect(alertKindOf('unhealthy', 'healthy')).toBe('health.recovered');
    expect(alertKindOf('healthy', 'degraded')).toBe('health.degraded');
    expect(alertKindOf('degraded', 'unhealthy')).toBe('health.unhealthy');
  });
});
