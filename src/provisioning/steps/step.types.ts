import type { Subscriber } from '../../subscribers/subscribers.service';
import type { StepReadCache } from './step-read-cache';

/**
 * The contract between templates/steps (what to do at iPaaS.com for one company) and the ledger (when, by
 * whom, how often). The ledger stores PlannedSteps and calls StepPlanner / StepExecutor; it knows nothing
 * about users, roles or customers.
 */

export const STEP_KINDS = [
  'approve_request',
  'role_share',
  'role',
  'user',
  'persistent_data',
  'customer',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Steps done as the MiSP's own company; every other kind acts inside the subscriber company. */
export const RELATIONSHIP_KINDS: ReadonlySet<StepKind> = new Set(['approve_request', 'role_share']);

export type PlannedAction = 'create' | 'update' | 'noop';

export interface PlannedStep {
  /** Position in the company's run, from 0; steps run in this order. */
  index: number;
  kind: StepKind;
  /** Identifies the desired resource within the company, e.g. `user:alice@example.test`. */
  key: string;
  /** The rendered desired state of the resource (no secrets). */
  desired: Record<string, unknown>;
  /** What the plan expects to do, from the state read when planning; null when outlined without reading. */
  action: PlannedAction | null;
  /**
   * Fingerprint of what was read when planning (null: nothing existed), to detect drift at apply time;
   * undefined when outlined without reading (no drift check).
   */
  observed?: string | null;
  /** Vendor calls the step is expected to make (reads included). */
  estimatedCalls: number;
  /** Vendor reads the planning of this step made (a plan job's cost); undefined when outlined without reading. */
  readCalls?: number;
}

export interface StepOutcome {
  /**
   * `adopted`: the create was answered "already exists" for a resource the step's read had not seen (a lost
   * earlier attempt, another actor); the step read it again, took it as its own and updated what differed.
   */
  action: 'created' | 'updated' | 'noop' | 'adopted';
  /** The state read before acting differs from the plan's `observed` fingerprint. */
  drift: boolean;
  vendorCalls: number;
  vendorRequestIds: string[];
}

/** A template rendered for one company: variables substituted, ready to plan. */
export type RenderedSpec = Record<string, unknown>;

/** Lists the steps that bring one company to `rendered`. Never writes at the vendor. */
export abstract class StepPlanner {
  /** The steps in order without reading anything (apply without a plan: each step reads as it ensures). */
  abstract outline(rendered: RenderedSpec): PlannedStep[];
  /** Reads the company's current vendor state and fills in each step's action and observed fingerprint. */
  abstract planCompany(subscriber: Subscriber, rendered: RenderedSpec): Promise<PlannedStep[]>;
}

/**
 * Ensures one step: read, then create / update / leave as is. Always reads before creating, so a step that
 * is run again after a crash creates nothing twice. Throws AppError / VendorError on failure.
 */
export abstract class StepExecutor {
  /**
   * Whether the MiSP can act inside the company now: an `active` registry row whose job requested no role share
   * is taken at its word; otherwise the vendor is asked (an active role share; the registry may lag), and
   * finding one moves a row that still says otherwise to `active`. A company step before that fails at the
   * vendor ("Company not found"), so the ledger waits.
   */
  abstract companyOpen(
    subscriber: Subscriber,
    options: { readCache?: StepReadCache; sharesRequested: boolean },
  ): Promise<boolean>;

  abstract execute(
    subscriber: Subscriber,
    step: PlannedStep,
    options: {
      expectedObserved?: string | null;
      /** One per item attempt (optional): the item's steps then share list reads instead of each reading. */
      readCache?: StepReadCache;
      /** Awaited right before each vendor write is sent; throwing abandons the write unsent (and the step). */
      beforeWrite?: () => Promise<void>;
    },
  ): Promise<StepOutcome>;
}
