/**
 * A client of the emulator's control plane (`/__emulator/*`, docs/emulator.md) for an emulator in another
 * process (bench/emulator-process.ts): what the in-process `control` handle does, over HTTP.
 */
import type {
  DemoInfo,
  FaultRule,
  FaultRuleInput,
  JournalEntry,
  MintedToken,
  SeedOptions,
  StatsSnapshot,
} from '../../src/ipaas-emulator';

export interface JournalPage {
  /** Entries journaled since the last clear (more than `capacity`: the oldest were overwritten). */
  total: number;
  capacity: number;
  entries: JournalEntry[];
}

export class EmulatorControlClient {
  constructor(readonly emulatorUrl: string) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.emulatorUrl}/__emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`emulator control ${method} ${path} answered ${response.status}: ${text}`);
    }
    return JSON.parse(text) as T;
  }

  /** Replaces the seed and resets the emulator (state, journal, stats, faults). */
  async seed(options: Partial<SeedOptions>): Promise<DemoInfo> {
    return (await this.call<{ demo: DemoInfo }>('POST', 'seed', options)).demo;
  }

  stats(): Promise<StatsSnapshot> {
    return this.call('GET', 'stats');
  }

  journal(): Promise<JournalPage> {
    return this.call('GET', 'requests');
  }

  async clearJournal(): Promise<void> {
    await this.call('DELETE', 'requests');
  }

  addFault(rule: FaultRuleInput): Promise<FaultRule> {
    return this.call('POST', 'faults', rule);
  }

  listFaults(): Promise<FaultRule[]> {
    return this.call('GET', 'faults');
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }

  /** A company token for the demo MiSP user, without the login dance and outside the journal and limits. */
  mintCompanyToken(companyId: string): Promise<MintedToken> {
    return this.call('POST', `companies/${encodeURIComponent(companyId)}/tokens`, {});
  }
}
