import { SandboxService } from '../../src/sandbox/sandbox.service';
import type { TestApp } from './test-app';

/**
 * Companies the app's own sandbox emulator serves for the demo MiSP (IPAAS_BASE_URL=sandbox, the default of
 * `startTestApp`), handed out once each. Registration checks a company at iPaaS.com, so tests register these
 * instead of made-up ids; `pending()` adds a company with a fresh subscriber request (it registers as
 * `requested`).
 */
export class SandboxCompanies {
  private constructor(
    private readonly controlPlane: string,
    private readonly served: string[],
  ) {}

  static async of(t: TestApp): Promise<SandboxCompanies> {
    const controlPlane = `${await t.app.get(SandboxService).baseUrl()}/__emulator`;
    const response = await fetch(`${controlPlane}/subscribers`);
    return new SandboxCompanies(controlPlane, (await response.json()) as string[]);
  }

  /** A served company (active role share) no test of this app has taken yet. */
  next(): string {
    const companyId = this.served.shift();
    if (companyId === undefined) {
      throw new Error('the sandbox seed has no unregistered company left; use pending() or a larger seed');
    }
    return companyId;
  }

  async pending(companyName = 'Pending test company'): Promise<string> {
    const response = await fetch(`${this.controlPlane}/subscriber-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ companyName }),
    });
    return ((await response.json()) as { companyId: string }).companyId;
  }
}
