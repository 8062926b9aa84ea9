import axios, { type AxiosInstance } from 'axios';
import {
  ManualClock,
  startEmulator,
  type StartedEmulator,
  type StartEmulatorOptions,
} from '../../src/ipaas-emulator';

export interface Harness {
  emu: StartedEmulator;
  clock: ManualClock;
  http: AxiosInstance;
  close(): Promise<void>;
}

/** Emulator on a free port with a manual clock; HTTP client that never throws on status. */
export async function harness(options: StartEmulatorOptions = {}): Promise<Harness> {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock();
  const emu = await startEmulator({ port: 0, clock, ...options });
  const http = axios.create({
    baseURL: emu.url,
    validateStatus: () => true,
    transformResponse: (d: unknown) => d,
  });
  return { emu, clock, http, close: () => emu.close() };
}

/** Parsed JSON body, loosely typed for assertions (arrays and objects alike). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-only escape hatch for response bodies
export type Loose = any[] & Record<string, any>;

export function json<T = Loose>(body: unknown): T {
  return JSON.parse(body as string) as T;
}

export const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

export async function loginMisp(h: Harness): Promise<{ userId: number; token: string; refresh: string }> {
  const r = await h.http.post('/sso/v2/Auth/Login', {
    email_address: 'misp@sandbox.test',
    password: 'sandbox-pass',
  });
  if (r.status !== 200) {
    throw new Error(`login failed: ${r.status} ${r.data}`);
  }
  const b = json(r.data);
  return { userId: b.id, token: b.access_token, refresh: b.refresh_token };
}

/** Log in as the demo MiSP user and ChangeCompany into the n-th subscriber (0-based). */
export async function companyToken(
  h: Harness,
  n = 0,
): Promise<{ companyId: string; token: string; refresh: string; userToken: string }> {
  const user = await loginMisp(h);
  const companyId = h.emu.control.subscriberCompanyIds()[n];
  const r = await h.http.get(`/sso/v2/User/ChangeCompany/${companyId}`, bearer(user.token));
  if (r.status !== 200) {
    throw new Error(`change company failed: ${r.status} ${r.data}`);
  }
  const b = json(r.data);
  return { companyId, token: b.access_token, refresh: b.refresh_token, userToken: user.token };
}

export function pagination(h: { headers: Record<string, unknown> }): Record<string, unknown> {
  return JSON.parse(String(h.headers['x-pagination'])) as Record<string, unknown>;
}
