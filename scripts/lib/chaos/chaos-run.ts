/**
 * One run of the chaos suite (`npm run chaos`, scripts/chaos.ts): the emulator in its own process, one or two
 * compiled Tenantry processes on a throwaway SQLite or PostgreSQL database, one apply job of
 * ONBOARDING_TEMPLATE for every seeded company, and the disruption of the scenario (SIGKILLs at seeded moments
 * and restarts, or fault rules on every vendor route), optionally beside a CPU hog. When the job has ended (or
 * the deadline passed) it counts what accounting.ts defines: lost, stuck, duplicate creates, reclaimed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { startEmulatorProcess } from '../../../bench/emulator-process';
import { type FaultRuleInput, VOLUME_MESSAGE } from '../../../src/ipaas-emulator';
import { mulberry32 } from '../../../src/ipaas-emulator/rng';
import { startCpuHog } from '../cpu-hog';
import { EmulatorControlClient } from '../emulator-control';
import { activeSubscriberIds, connectSandboxMisp } from '../fleet';
import { ONBOARDING_TEMPLATE } from '../onboarding-template';
import { TenantryApi } from '../tenantry-api';
import { startTenantryProcess, type TenantryProcess, throwawayInstanceEnv } from '../tenantry-process';
import { createThrowawayDatabase } from '../throwaway-database';
import { type Accounting, accountRun, type ReportItem } from './accounting';
import { checkCompanies } from './vendor-check';

export interface ChaosScenario {
  /** What `--only` selects: sqlite, postgres or soak. */
  name: string;
  companies: number;
  /** Tenantry processes on the one database (more than one needs PostgreSQL). */
  instances: number;
  postgres: boolean;
  /** SIGKILLs of a (random) instance, each followed by a restart of it. */
  kills: number;
  /** The fault rules of FAULT_RULES on every vendor route. */
  faults: boolean;
  /** Tenantry variables set apart from the product defaults (printed with the table). */
  tenantryEnv: Record<string, string>;
  /** From the job's submission: a job not ended by then leaves its unfinished items stuck. */
  deadlineMs: number;
}

/**
 * The emulator of every run: 10 ± 5 ms per call (loopback is faster than the vendor; this keeps steps in
 * flight long enough to be interrupted), no vendor-side rate or concurrency limit (Tenantry's scheduler sets
 * the pace, as in the crash test), one subscription per company, and a journal large enough for every call of
 * the largest run (a journal that overflowed fails the run: the counts would be incomplete).
 */
export const EMULATOR_TUNING = {
  EMULATOR_LATENCY_MS: '10',
  EMULATOR_LATENCY_JITTER_MS: '5',
  EMULATOR_RATE_PER_SECOND: '0',
  EMULATOR_CONCURRENCY: '0',
  EMULATOR_JOURNAL_SIZE: '1000000',
};

/** Effective rates on every vendor route: 10% 503, 5% volume 429 with Retry-After: 1, 3% connections reset. */
export const FAULT_RATES = { unavailable: 0.1, volume: 0.05, reset: 0.03 };

/**
 * The emulator tries its rules in order and the first that fires wins, so each later rule's probability is
 * raised to keep the effective rates of FAULT_RATES: P(429) = (1 − 0.10) · p₂ = 0.05, and so on.
 */
function faultRules(seed: number): FaultRuleInput[] {
  const { unavailable, volume, reset } = FAULT_RATES;
  const afterFirst = 1 - unavailable;
  const afterSecond = afterFirst * (1 - volume / afterFirst);
  return [
    { probability: unavailable, seed: seed + 1, action: { type: 'respond', status: 503 } },
    {
      probability: volume / afterFirst,
      seed: seed + 2,
      action: { type: 'respond', status: 429, body: VOLUME_MESSAGE, headers: { 'Retry-After': '1' } },
    },
    { probability: reset / afterSecond, seed: seed + 3, action: { type: 'drop' } },
  ];
}

/** A kill lands this long after the victim (re)started doing work: from its first finished step, uniform. */
export const KILL_DELAY_MS = { min: 300, max: 4000 };
const POLL_MS = 250;
const CPU_HOG_LOOPS = 2;
const ADMIN = { email: 'chaos-admin@tenantry.test', password: 'chaos-suite-password-1' };
const TERMINAL = ['succeeded', 'completed_with_errors', 'failed', 'cancelled'];

export interface KillRecord {
  /** Seconds since the job was submitted. */
  atSeconds: number;
  victim: number;
  /** Items `running` in the job just before the kill (the victim's, and any other instance's or lapsed ones). */
  running: number;
}

export interface ChaosResult {
  scenario: ChaosScenario;
  hog: boolean;
  seed: number;
  /** The job's final state, or its state when the deadline passed (`running (deadline)`), or `error`. */
  state: string;
  accounting: Accounting | null;
  kills: KillRecord[];
  /** Seconds from the job's submission to the moment its end was seen (or the deadline). */
  wallSeconds: number;
  vendorCalls: number;
  faultsFired: number[];
  /** The machine's 1-minute load average, mean of the samples taken while the job ran (2 cores: 2 is full). */
  loadAverage: number;
  /** Why the run fails the suite; empty when it passed. */
  problems: string[];
}

interface JobView {
  id: string;
  state: string;
  counts: { total: number; running: number; pending: number; succeeded: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Provisioning steps this process finished since it started (its own /metrics): it is doing work. */
async function stepsFinished(url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('tenantry_provisioning_step_duration_seconds_count'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  } catch {
    return 0;
  }
}

/** The Tenantry processes of a run, by slot: killed and started again in place. */
class Instances {
  private readonly slots: (TenantryProcess | undefined)[] = [];

  constructor(private readonly env: Record<string, string>) {}

  async startAll(count: number): Promise<void> {
    // One after the other: the first applies the migrations.
    for (let slot = 0; slot < count; slot += 1) {
      this.slots[slot] = await startTenantryProcess(this.env, { compiled: true, build: false });
    }
  }

  get count(): number {
    return this.slots.length;
  }

  url(slot: number): string | undefined {
    return this.slots[slot]?.url;
  }

  /** Any instance that is up (none while the only one restarts). */
  liveUrl(): string | undefined {
    return this.slots.find((slot) => slot !== undefined)?.url;
  }

  async killAndRestart(slot: number): Promise<void> {
    const victim = this.slots[slot];
    this.slots[slot] = undefined;
    await victim?.kill('SIGKILL');
    this.slots[slot] = await startTenantryProcess(this.env, { compiled: true, build: false });
  }

  outputTail(chars = 4000): string {
    return this.slots
      .map((slot, index) => `--- instance ${index} ---\n${slot?.output().slice(-chars) ?? ''}`)
      .join('\n');
  }

  async stopAll(): Promise<void> {
    for (const slot of this.slots) {
      await slot?.kill('SIGTERM');
    }
  }
}

export async function runChaos(options: {
  scenario: ChaosScenario;
  hog: boolean;
  seed: number;
  postgresServerUrl?: string;
  log: (line: string) => void;
}): Promise<ChaosResult> {
  const { scenario, seed, log } = options;
  const random = mulberry32(seed);
  const result: ChaosResult = {
    scenario,
    hog: options.hog,
    seed,
    state: 'error',
    accounting: null,
    kills: [],
    wallSeconds: 0,
    vendorCalls: 0,
    faultsFired: [],
    loadAverage: 0,
    problems: [],
  };
  // The hog runs for the whole run, set-up included, as ../shared/tools/under-load wraps a whole command.
  const hog = options.hog ? startCpuHog(CPU_HOG_LOOPS) : undefined;
  const directory = mkdtempSync(join(tmpdir(), `tenantry-chaos-${scenario.name}-`));
  const emulator = await startEmulatorProcess({
    ...EMULATOR_TUNING,
    EMULATOR_SUBSCRIBERS: String(scenario.companies),
    EMULATOR_PENDING_REQUESTS: '0',
    EMULATOR_SEED: String(seed),
  });
  const control = new EmulatorControlClient(emulator.url);
  const database = await createThrowawayDatabase(
    directory,
    scenario.postgres ? options.postgresServerUrl : undefined,
  );
  const instances = new Instances({
    ...throwawayInstanceEnv(directory, ADMIN, database.url),
    IPAAS_BASE_URL: emulator.url,
    ...scenario.tenantryEnv,
  });
  try {
    await control.seed({ subscribers: scenario.companies, pendingRequests: 0, subscriptionsPerCompany: 1 });
    await instances.startAll(scenario.instances);
    if (scenario.instances > 1) {
      // Two heartbeats, so each instance takes its share of the vendor budget before the first call.
      await sleep(5000);
    }
    const api = await TenantryApi.signIn(instances.url(0) ?? '', ADMIN.email, ADMIN.password);
    await connectSandboxMisp(api);
    const ids = await activeSubscriberIds(api, scenario.companies);
    if (ids.length !== scenario.companies) {
      throw new Error(`sync found ${ids.length} active subscribers, expected ${scenario.companies}`);
    }
    const template = await api.expect<{ id: string }>(
      201,
      'POST',
      '/v1/provisioning/templates',
      ONBOARDING_TEMPLATE,
    );
    if (scenario.faults) {
      for (const rule of faultRules(seed)) {
        await control.addFault(rule);
      }
    }
    const before = await control.stats();
    await control.clearJournal();
    const started = Date.now();
    const deadline = started + scenario.deadlineMs;
    const job = await api.expect<JobView>(201, 'POST', '/v1/provisioning/jobs', {
      templateId: template.id,
      mode: 'apply',
      subscribers: ids.map((subscriberId) => ({ subscriberId })),
    });
    log(`  job ${job.id} submitted (${ids.length} companies)`);

    let last: JobView = job;
    let ended = false;
    const loads: number[] = [];
    const watch = async () => {
      while (!ended && Date.now() < deadline) {
        loads.push(loadavg()[0]);
        const url = instances.liveUrl();
        if (url !== undefined) {
          try {
            last = await api.at(url).expect<JobView>(200, 'GET', `/v1/provisioning/jobs/${job.id}`);
            ended = TERMINAL.includes(last.state);
          } catch {
            // The instance was killed while answering: ask again (another one, or after its restart).
          }
        }
        if (!ended) {
          await sleep(POLL_MS);
        }
      }
      result.wallSeconds = (Date.now() - started) / 1000;
      result.loadAverage = loads.reduce((sum, load) => sum + load, 0) / Math.max(1, loads.length);
    };
    const kill = async () => {
      for (let index = 0; index < scenario.kills; index += 1) {
        // Drawn before any waiting, so a seed gives the same victims and delays however the timing goes.
        const victim = Math.floor(random() * instances.count);
        const delayMs = KILL_DELAY_MS.min + Math.floor(random() * (KILL_DELAY_MS.max - KILL_DELAY_MS.min));
        // Only a process doing work is worth killing: wait for its first finished step since it started
        // (after a kill, a lone instance may first sit out the killed one's leases), then the seeded delay.
        while (!ended && Date.now() < deadline && (await stepsFinished(instances.url(victim) ?? '')) === 0) {
          await sleep(POLL_MS);
        }
        await sleep(delayMs);
        if (ended || Date.now() >= deadline) {
          return;
        }
        const running = last.counts.running;
        result.kills.push({ atSeconds: (Date.now() - started) / 1000, victim, running });
        await instances.killAndRestart(victim);
      }
    };
    await Promise.all([watch(), kill()]);
    result.state = ended ? last.state : `${last.state} (deadline)`;

    const after = await control.stats();
    const journal = await control.journal();
    result.faultsFired = (await control.listFaults()).map((rule) => rule.fired);
    await control.clearFaults();
    result.vendorCalls = after.totalCalls - before.totalCalls;
    const liveApi = api.at(instances.liveUrl() ?? '');
    const report = await liveApi.expect<{ items: ReportItem[] }>(
      200,
      'GET',
      `/v1/provisioning/jobs/${job.id}/report?format=json`,
    );
    const succeeded = report.items.filter((item) => item.state === 'succeeded');
    const missingAtVendor = await checkCompanies(
      control,
      succeeded.map((item) => item.ipaasCompanyId ?? ''),
    );
    const refusedByKind = Object.fromEntries(
      Object.entries(after.duplicateCreatesByKind).map(([kind, n]) => [
        kind,
        n - (before.duplicateCreatesByKind[kind] ?? 0),
      ]),
    );
    const accounting = accountRun({
      submitted: ids,
      items: report.items,
      missingAtVendor,
      journal: journal.entries,
      refusedDuplicates: after.duplicateCreates - before.duplicateCreates,
      refusedByKind,
    });
    result.accounting = accounting;
    result.problems = verdict(result, journal.total > journal.capacity);
  } catch (error) {
    result.problems = [`the run broke off: ${error instanceof Error ? error.message : String(error)}`];
    log(instances.outputTail());
  } finally {
    await instances.stopAll();
    emulator.close();
    await database.drop();
    rmSync(directory, { recursive: true, force: true });
    await hog?.stop();
  }
  return result;
}

/** Every reason the run fails the suite. */
function verdict(result: ChaosResult, journalOverflowed: boolean): string[] {
  const problems: string[] = [];
  const { accounting, scenario } = result;
  if (result.state !== 'succeeded') {
    problems.push(`job ${result.state}`);
  }
  if (accounting !== null) {
    if (accounting.lost > 0) {
      problems.push(`${accounting.lost} lost`);
    }
    if (accounting.stuck > 0) {
      problems.push(`${accounting.stuck} stuck`);
    }
    if (accounting.duplicates > 0) {
      problems.push(`${accounting.duplicates} duplicate creates`);
    }
    if (scenario.kills > 0 && accounting.reclaimed === 0) {
      problems.push('no item was reclaimed after a lapsed lease: the kills interrupted nothing');
    }
  }
  if (result.kills.length < scenario.kills) {
    problems.push(`only ${result.kills.length} of ${scenario.kills} kills landed before the job ended`);
  }
  if (journalOverflowed) {
    problems.push('the emulator journal overflowed: duplicate counts are incomplete');
  }
  return problems;
}
