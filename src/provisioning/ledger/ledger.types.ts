/** The states of the provisioning ledger (jobs → items → steps) and the rules between them. */

export const JOB_MODES = ['plan', 'apply'] as const;
export type JobMode = (typeof JOB_MODES)[number];

export const JOB_STATES = [
  'pending',
  'running',
  'cancelling',
  'cancelled',
  'succeeded',
  'completed_with_errors',
  'failed',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Jobs whose items may still be claimed (`pending`: nothing claimed yet). */
export const ACTIVE_JOB_STATES: readonly JobState[] = ['pending', 'running'];
export const TERMINAL_JOB_STATES: readonly JobState[] = [
  'cancelled',
  'succeeded',
  'completed_with_errors',
  'failed',
];

/**
 * `waiting`: the company's steps need the MiSP's access inside the company (an active role share), which the
 * subscriber has not granted yet; the item is looked at again with backoff until it is granted (then it runs
 * on its own) or PROVISIONING_WAIT_MAX_HOURS have passed (then it fails with RELATIONSHIP_NOT_ACTIVE).
 */
export const ITEM_STATES = [
  'pending',
  'waiting',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type ItemState = (typeof ITEM_STATES)[number];
export type FinalItemState = Exclude<ItemState, 'pending' | 'waiting' | 'running'>;
/** States an item can still leave: its job has not ended while one of its items is in one of them. */
export const OPEN_ITEM_STATES_SQL = "('pending', 'waiting', 'running')";
/** Why an item waits. */
export const WAIT_REASONS = ['relationship_pending'] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];
export const FINAL_ITEM_STATES: readonly FinalItemState[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/** `planned`: a plan job's step, read and decided but never applied (apply copies it as `pending`). */
export const STEP_STATES = ['pending', 'planned', 'succeeded', 'failed'] as const;
export type StepState = (typeof STEP_STATES)[number];

export type ItemCounts = Record<ItemState, number> & { total: number };

export function emptyCounts(): ItemCounts {
  return { total: 0, pending: 0, waiting: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
}

/**
 * The state a job ends in once none of its items is pending or running, or null while some are. A job is
 * `succeeded` only when every item succeeded: one failed or skipped item makes it `completed_with_errors`, so
 * a partial result is never reported as a success. A cancelled job stays `cancelled`.
 */
export function finalJobState(current: JobState, counts: ItemCounts): JobState | null {
  if (counts.pending + counts.waiting + counts.running > 0) {
    return null;
  }
  if (current === 'cancelling' || current === 'cancelled') {
    return 'cancelled';
  }
  return counts.succeeded === counts.total ? 'succeeded' : 'completed_with_errors';
}

/** What a claim hands a worker: the item and the fencing token every later write must present. */
export interface ItemClaim {
  itemId: string;
  jobId: string;
  fence: number;
}

/** A claim as granted: with the instant its lease ends, as written by the claim itself (epoch ms). */
export interface LeasedClaim extends ItemClaim {
  leaseUntil: number;
}

/** An error recorded on an item or step: a stable code and a message safe to show. */
export interface RecordedError {
  code: string;
  message: string;
}
