import type { PlannedAction } from '../step.types';
import type { StepRun } from '../step-run';

export interface Decision {
  action: PlannedAction;
  /** Vendor writes the action needs (a persistent data item over "all" subscriptions may need several). */
  writes: number;
}

/**
 * "Ensure" for one kind of resource: read what exists, decide create / update / noop by comparing only the
 * fields the template sets, and write. The planner runs observe + decide; the executor runs all three.
 */
export interface StepHandler<Desired, Observation> {
  /** Cache keys of the reads the step makes (one call each), to estimate calls without reading. */
  readKeys(desired: Desired): string[];
  observe(run: StepRun, desired: Desired): Promise<Observation>;
  /** The observed fields the template cares about, for the drift fingerprint; null when nothing exists. */
  observedFields(observation: Observation, desired: Desired): unknown;
  decide(desired: Desired, observation: Observation): Decision;
  /** Brings the resource to `desired`; only called when `decide` said create or update. */
  apply(run: StepRun, desired: Desired, observation: Observation): Promise<void>;
  /**
   * Vendor codes that answer this kind's create with "done already", besides the duplicate codes of the
   * endpoint table (e.g. BIZL-1009 for a subscriber request that was already decided).
   */
  alreadyDoneCodes?: readonly string[];
  /**
   * The fresh read after such an answer, when `observe` is not the right one (default: `observe` again, with
   * the attempt's shared reads forgotten).
   */
  reobserve?(run: StepRun, desired: Desired, before: Observation): Promise<Observation>;
  /** Bookkeeping after an adoption, as `apply` does after its own create (e.g. the registry's status). */
  adopted?(run: StepRun, desired: Desired): Promise<void>;
}

/**
 * The registry's view of a handler (methods are bivariant, so any typed handler fits); `desired` comes from
 * the outline of a validated, rendered spec.
 */
export type AnyStepHandler = StepHandler<unknown, unknown>;

export const CREATE: Decision = { action: 'create', writes: 1 };
export const UPDATE: Decision = { action: 'update', writes: 1 };
export const NOOP: Decision = { action: 'noop', writes: 0 };

export const sameSet = (left: readonly (string | number)[], right: readonly (string | number)[]): boolean => {
  const wanted = new Set(right);
  const have = new Set(left);
  return have.size === wanted.size && [...wanted].every((item) => have.has(item));
};

export const sorted = <T extends string | number>(items: readonly T[]): T[] =>
  [...new Set(items)].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
