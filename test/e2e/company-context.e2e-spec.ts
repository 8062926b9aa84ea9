import axios from 'axios';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { CompanyVendorService } from '../../src/company-context/company-vendor.service';
import { AppError } from '../../src/common/errors/app-error';
import { DomainEvents, type DomainEvent } from '../../src/common/events/domain-events';
import { SubscribersService } from '../../src/subscribers/subscribers.service';
import { ACCESS_TOKEN_TTL_MS } from '../../src/ipaas-emulator';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

const CHANGE_COMPANY = /\/sso\/v2\/User\/ChangeCompany\//i;
const LOGIN = /\/sso\/v2\/Auth\/Login/i;
const REFRESH = /\/sso\/v2\/Auth\/Refresh/i;
const SUBSCRIPTIONS = /\/subscriptions\/v2\/Subscriptions/i;

describe('company context: MiSP login → ChangeCompany → company token', () => {
  let h: VendorHarness;
  let vendor: CompanyVendorService;

  beforeAll(async () => {
    h = await startVendorHarness();
    vendor = h.t.app.get(CompanyVendorService);
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(() => {
    h.emulator.control.clearFaults();
    h.emulator.control.clearJournal();
  });

  /** The vendor answers 401 to every data call of the company. */
  const refuseTokensOf = (ipaasCompanyId: string): void => {
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      companyId: ipaasCompanyId,
      action: { type: 'respond', status: 401, body: 'AUTH-1002 Access token is invalid' },
    });
  };

  const expectCredentialInvalid = (subscriberId: string): Promise<void> =>
    expect(vendor.call(subscriberId, 'listSubscriptions')).rejects.toMatchObject({
      code: 'CREDENTIAL_INVALID',
    });

  it('mints exactly once for 200 concurrent calls to a cold company (single-flight)', async () => {
    const company = await h.register(0);
    // The registration's check at iPaaS.com signed the MiSP user in (and switched to the MiSP company).
    expect(h.calls(LOGIN)).toBe(1);
    h.emulator.control.clearJournal();
    const subscriberReads = jest.spyOn(h.t.app.get(SubscribersService), 'get');
    const minted: DomainEvent[] = [];
    const unsubscribe = h.t.app.get(DomainEvents).subscribe((event) => {
      minted.push(event);
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, () => vendor.call<unknown[]>(company.id, 'listSubscriptions')),
    );
    expect(results.every((result) => result.status === 200 && Array.isArray(result.data))).toBe(true);
    expect(h.calls(CHANGE_COMPANY)).toBe(1);
    expect(h.calls(LOGIN)).toBe(0);
    expect(h.calls(SUBSCRIPTIONS, company.ipaasCompanyId)).toBe(200);
    // Quota flag, token resolution, storing the minted session: three reads in all, not one per waiting caller.
    expect(subscriberReads).toHaveBeenCalledTimes(3);
    subscriberReads.mockRestore();
    unsubscribe();
    expect(minted.filter((event) => event.type === 'company_token.minted')).toEqual([
      {
        type: 'company_token.minted',
        subscriberId: company.id,
        ipaasCompanyId: company.ipaasCompanyId,
        via: 'change_company',
      },
    ]);

    const metrics = await request(h.t.server).get('/metrics').expect(200);
    // This company's mint and the MiSP company's (for the registration's check at iPaaS.com).
    expect(metrics.text).toMatch(/ipaas_company_token_mints_total\{via="change_company"\} 2/);
  });

  it('notices within seconds a suspension made by another instance (straight in the shared database)', async () => {
    const company = await h.register(11);
    await vendor.call(company.id, 'listSubscriptions');
    await h.t.app
      .get(DataSource)
      .query(`UPDATE subscribers SET status = 'suspended' WHERE id = $1`, [company.id]);
    // Still trusted for a moment (no read per call)...
    await vendor.call(company.id, 'listSubscriptions');
    // ...then read again: the company is refused before any vendor call.
    h.emulator.control.advanceClock(6000);
    h.emulator.control.clearJournal();
    await expect(vendor.call(company.id, 'listSubscriptions')).rejects.toMatchObject({
      code: 'SUBSCRIBER_INACTIVE',
    });
    expect(h.calls(SUBSCRIPTIONS, company.ipaasCompanyId)).toBe(0);
  });

  it('refreshes a company token a margin before it expires, on the virtual clock, without ChangeCompany', async () => {
    const company = await h.register(1);
    await vendor.call(company.id, 'listSubscriptions');
    expect(h.calls(CHANGE_COMPANY)).toBe(1);

    h.emulator.control.advanceClock(ACCESS_TOKEN_TTL_MS - 4 * 60_000); // inside the 5-minute margin
    h.emulator.control.clearJournal();
    await vendor.call(company.id, 'listSubscriptions');
    expect(h.calls(REFRESH)).toBe(1);
    expect(h.calls(CHANGE_COMPANY)).toBe(0);

    const credential = await h.t.http.get(`/v1/subscribers/${company.id}/credential`).expect(200);
    expect(credential.body).toMatchObject({ kind: 'company_session', status: 'valid' });
    expect(Date.parse(credential.body.expiresAt as string)).toBeGreaterThan(
      h.emulator.control.now() + 50 * 60_000,
    );
  });

  it('marks the credential invalid when the subscriber is removed at the vendor, and then calls nothing', async () => {
    const company = await h.register(2);
    await vendor.call(company.id, 'listSubscriptions');

    // The MiSP removes the subscriber at the vendor (its own company token, as the vendor requires).
    const base = h.emulator.url;
    const login = await axios.post(`${base}/sso/v2/Auth/Login`, {
      email_address: 'misp@sandbox.test',
      password: 'sandbox-pass',
    });
    const mispCompanyId = h.emulator.control.demo()?.mispCompanyId as string;
    const mispToken = await axios.get(`${base}/sso/v2/User/ChangeCompany/${mispCompanyId}`, {
      headers: { Authorization: `Bearer ${login.data.access_token}` },
    });
    await axios.delete(`${base}/sso/v2/MiSP/Subscriber/${company.ipaasCompanyId}`, {
      headers: { Authorization: `Bearer ${mispToken.data.access_token}` },
    });
    h.emulator.control.clearJournal();

    await expectCredentialInvalid(company.id);
    const credential = await h.t.http.get(`/v1/subscribers/${company.id}/credential`).expect(200);
    expect(credential.body.status).toBe('invalid');
    expect(credential.body.invalidReason).toMatch(/ChangeCompany refused/);

    const before = h.emulator.control.journalTotal();
    await expect(vendor.call(company.id, 'listSubscriptions')).rejects.toBeInstanceOf(AppError);
    expect(h.emulator.control.journalTotal()).toBe(before);
  });

  it('uses an API key as a company token: verified when stored, no ChangeCompany, metadata only', async () => {
    const company = await h.register(3);
    const key = h.emulator.control.mintApiKey(company.ipaasCompanyId, { name: 'tenantry' });
    const stored = await h.t.http
      .put(`/v1/subscribers/${company.id}/credential`)
      .send({ kind: 'api_key', apiKey: key.apiKey })
      .expect(200);
    expect(stored.body).toMatchObject({ kind: 'api_key', status: 'valid', last4: key.apiKey.slice(-4) });
    expect(stored.body.lastVerifiedAt).not.toBeNull();
    expect(JSON.stringify(stored.body)).not.toContain(key.apiKey);

    h.emulator.control.clearJournal();
    await vendor.call(company.id, 'listSubscriptions');
    expect(h.calls(CHANGE_COMPANY)).toBe(0);
    expect(h.calls(SUBSCRIPTIONS, company.ipaasCompanyId)).toBe(1);
  });

  it('refuses an API key the vendor rejects and keeps what was stored', async () => {
    const company = await h.register(4);
    await vendor.call(company.id, 'listSubscriptions');
    const response = await h.t.http
      .put(`/v1/subscribers/${company.id}/credential`)
      .send({ kind: 'api_key', apiKey: 'not-a-real-key-canary-4711' })
      .expect(422);
    expect(response.body.code).toBe('VENDOR_CREDENTIAL_REJECTED');
    const credential = await h.t.http.get(`/v1/subscribers/${company.id}/credential`).expect(200);
    expect(credential.body.kind).toBe('company_session');
    for (const line of h.t.logs) {
      expect(line).not.toContain('not-a-real-key-canary-4711');
    }
  });

  it('stops calling a company after its API key is refused: one call, then none', async () => {
    const company = await h.register(5);
    const key = h.emulator.control.mintApiKey(company.ipaasCompanyId);
    const stored = await h.t.http
      .put(`/v1/subscribers/${company.id}/credential?verify=false`)
      .send({ kind: 'api_key', apiKey: key.apiKey })
      .expect(200);
    // Never checked at iPaaS.com: `stored`, not `valid` (issue 14).
    expect(stored.body).toMatchObject({ status: 'stored', lastVerifiedAt: null });
    expect((await h.t.http.get(`/v1/subscribers/${company.id}/credential`).expect(200)).body.status).toBe(
      'stored',
    );
    refuseTokensOf(company.ipaasCompanyId);
    await expectCredentialInvalid(company.id);
    await expectCredentialInvalid(company.id);
    expect(h.calls(SUBSCRIPTIONS)).toBe(1);
    const problem = await h.t.http.post(`/v1/subscribers/${company.id}/credential/verify`).expect(409);
    expect(problem.body.code).toBe('CREDENTIAL_INVALID');
  });

  it('renews a session once on a 401, retries once, and then marks it invalid', async () => {
    const company = await h.register(6);
    await vendor.call(company.id, 'listSubscriptions');
    h.emulator.control.clearJournal();
    refuseTokensOf(company.ipaasCompanyId);
    await expectCredentialInvalid(company.id);
    expect(h.calls(SUBSCRIPTIONS)).toBe(2);
    expect(h.calls(REFRESH) + h.calls(CHANGE_COMPANY)).toBe(1);

    // Staff fix it by minting a new session: calls resume.
    h.emulator.control.clearFaults();
    const renewed = await h.t.http
      .put(`/v1/subscribers/${company.id}/credential`)
      .send({ kind: 'company_session' })
      .expect(200);
    expect(renewed.body.status).toBe('valid');
    await expect(vendor.call(company.id, 'listSubscriptions')).resolves.toMatchObject({ status: 200 });
  });

  it('flags a monthly 429 as quota exhausted without retrying, until a reset', async () => {
    const company = await h.register(7);
    await vendor.call(company.id, 'listSubscriptions');
    h.emulator.control.clearJournal();
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      companyId: company.ipaasCompanyId,
      count: 1,
      action: { type: 'respond', status: 429, body: 'Monthly API call limit reached for this plan' },
    });
    await expect(vendor.call(company.id, 'listSubscriptions')).rejects.toMatchObject({
      kind: 'rate_limited_monthly',
    });
    expect(h.calls(SUBSCRIPTIONS)).toBe(1);
    await expect(vendor.call(company.id, 'listSubscriptions')).rejects.toMatchObject({
      code: 'VENDOR_QUOTA_EXHAUSTED',
    });
    expect(h.calls(SUBSCRIPTIONS)).toBe(1);

    await h.t.http.post(`/v1/subscribers/${company.id}/quota/reset`).expect(204);
    await expect(vendor.call(company.id, 'listSubscriptions')).resolves.toMatchObject({ status: 200 });
  });

  it('verifies the MiSP login when it is replaced and never returns or logs the password', async () => {
    const refused = await h.t.http
      .put('/v1/misp-account')
      .send({ email: 'misp@sandbox.test', password: 'wrong-canary-password-1234' })
      .expect(422);
    expect(refused.body.code).toBe('VENDOR_LOGIN_FAILED');
    const account = await h.t.http.get('/v1/misp-account').expect(200);
    expect(account.body).toMatchObject({ email: 'misp@sandbox.test' });
    expect(JSON.stringify(account.body)).not.toContain('sandbox-pass');
    for (const line of h.t.logs) {
      expect(line).not.toContain('wrong-canary-password-1234');
      expect(line).not.toContain('sandbox-pass');
    }
  });
});
