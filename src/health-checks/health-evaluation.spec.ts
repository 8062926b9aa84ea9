import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { VendorError } from '../ipaas/vendor-error';
import {
  alertKindOf,
  confirmedTransition,
  expiryFinding,
  findingOf,
  HEALTHY,
  listingFinding,
  worstOf,
} from './health-evaluation';

const DAY = 24 * 60 * 60 * 1000;

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

  it('flags an API key expiring within the warning days, never a company session or an unknown expiry', () => {
    const now = 1_000 * DAY;
    const apiKey = (daysLeft: number) => ({ kind: 'api_key', expiresAt: new Date(now + daysLeft * DAY) });
    expect(expiryFinding(apiKey(14), now, 14)).toEqual({
      status: 'degraded',
      reasons: ['CREDENTIAL_EXPIRING'],
    });
    expect(expiryFinding(apiKey(-1), now, 14).reasons).toEqual(['CREDENTIAL_EXPIRING']);
    expect(expiryFinding(apiKey(14.01), now, 14)).toBe(HEALTHY);
    expect(expiryFinding({ kind: 'api_key', expiresAt: null }, now, 14)).toBe(HEALTHY);
    expect(expiryFinding({ kind: 'company_session', expiresAt: new Date(now + DAY) }, now, 14)).toBe(HEALTHY);
    expect(expiryFinding(null, now, 14)).toBe(HEALTHY);
  });

  it('flags a company missing from the known MiSP list; skips when no list is known', () => {
    const listed = new Set(['company-a']);
    expect(listingFinding('company-a', listed)).toBe(HEALTHY);
    expect(listingFinding('company-b', listed)).toEqual({
      status: 'unhealthy',
      reasons: ['NOT_LISTED_FOR_MISP'],
    });
    expect(listingFinding('company-b', null)).toBe(HEALTHY);
  });

  it('combines findings: the worst status, every reason once', () => {
    expect(worstOf([HEALTHY, HEALTHY])).toEqual(HEALTHY);
    expect(
      worstOf([
        { status: 'degraded', reasons: ['CREDENTIAL_EXPIRING'] },
        { status: 'unhealthy', reasons: ['NOT_LISTED_FOR_MISP'] },
        { status: 'degraded', reasons: ['CREDENTIAL_EXPIRING'] },
      ]),
    ).toEqual({ status: 'unhealthy', reasons: ['CREDENTIAL_EXPIRING', 'NOT_LISTED_FOR_MISP'] });
  });
});
