import type { PinoLogger } from 'nestjs-pino';

import { Clock } from '../../src/common/time/clock';
import { loadConfig, type RawEnvironment } from '../../src/config/load-config';
import { JobTemplates } from '../../src/provisioning/jobs/job-templates';
import { ItemRunner } from '../../src/provisioning/ledger/item-runner';
import { JobLifecycle } from '../../src/provisioning/ledger/job-lifecycle';
import { LedgerRepository } from '../../src/provisioning/ledger/ledger.repository';
import { ProvisioningMetrics } from '../../src/provisioning/ledger/provisioning.metrics';
import { ProvisioningWorkers } from '../../src/provisioning/ledger/worker-pool';
import {
  type PlannedStep,
  type RenderedSpec,
  StepExecutor,
  type StepOutcome,
  StepPlanner,
} from '../../src/provisioning/steps/step.types';
import { IdGenerator } from '../../src/subscribers/id-generator';
import { type Subscriber, SubscribersService } from '../../src/subscribers/subscribers.service';
import type { TestApp } from './test-app';

export const QUIET_LOGGER = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as PinoLogger;

export interface ExecutedStep {
  subscriberId: string;
  stepIndex: number;
  key: string;
  expectedObserved: string | null | undefined;
}

/** A step executor whose behaviour the test scripts; it records every call. */
export class ScriptedExecutor extends StepExecutor {
  readonly calls: ExecutedStep[] = [];

  constructor(
    private readonly behaviour: (
      subscriber: Subscriber,
      step: PlannedStep,
      call: number,
    ) => Promise<StepOutcome> = () => Promise.resolve(created()),
  ) {
    super();
  }

  execute(
    subscriber: Subscriber,
    step: PlannedStep,
    options: { expectedObserved?: string | null },
  ): Promise<StepOutcome> {
    this.calls.push({
      subscriberId: subscriber.id,
      stepIndex: step.index,
      key: step.key,
      expectedObserved: options.expectedObserved,
    });
    return this.behaviour(subscriber, step, this.calls.length);
  }

  /** What `companyOpen` answers (the MiSP's access inside the company); the test may change it. */
  open = true;

  companyOpen(): Promise<boolean> {
    return Promise.resolve(this.open);
  }

  callsFor(subscriberId: string): ExecutedStep[] {
    return this.calls.filter((call) => call.subscriberId === subscriberId);
  }
}

export function created(vendorCalls = 2): StepOutcome {
  return { action: 'created', drift: false, vendorCalls, vendorRequestIds: [`req-${vendorCalls}`] };
}

/** Plans every outlined step as a create that observed nothing (no vendor). */
export class FakePlanner extends StepPlanner {
  constructor(private readonly real: StepPlanner) {
    super();
  }

  outline(rendered: RenderedSpec): PlannedStep[] {
    return this.real.outline(rendered);
  }

  planCompany(_subscriber: Subscriber, rendered: RenderedSpec): Promise<PlannedStep[]> {
    return Promise.resolve(
      this.real.outline(rendered).map((step) => ({ ...step, action: 'create' as const, observed: null })),
    );
  }
}

/**
 * A worker pool of its own on the app's ledger, with scripted steps. The app is booted with
 * PROVISIONING_CONCURRENCY=0 so that only this pool claims.
 */
export function startScriptedWorkers(
  t: TestApp,
  steps: { executor: StepExecutor; planner?: StepPlanner },
  env: RawEnvironment = {},
): ProvisioningWorkers {
  const config = loadConfig({
    PROVISIONING_CONCURRENCY: '4',
    PROVISIONING_POLL_MS: '10',
    PROVISIONING_LEASE_MS: '3000',
    IPAAS_TIMEOUT_MS: '1000',
    PROVISIONING_RETRY_BASE_MS: '5',
    PROVISIONING_RETRY_MAX_MS: '20',
    ...env,
  });
  const clock = t.app.get(Clock);
  const ledger = t.app.get(LedgerRepository);
  const runner = new ItemRunner(
    ledger,
    steps.planner ?? new FakePlanner(t.app.get(StepPlanner)),
    steps.executor,
    t.app.get(SubscribersService),
    t.app.get(JobTemplates),
    t.app.get(JobLifecycle),
    t.app.get(ProvisioningMetrics),
    clock,
    config,
    QUIET_LOGGER,
  );
  const workers = new ProvisioningWorkers(ledger, runner, clock, config, new IdGenerator(), QUIET_LOGGER);
  workers.onApplicationBootstrap();
  return workers;
}

/** Resolves once `check` returns a value other than undefined (polling), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`not reached within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A promise the test resolves by hand (to hold a step in flight). */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
