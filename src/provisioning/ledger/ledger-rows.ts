import type { PlannedStep } from '../steps/step.types';
import type { JobMode } from './ledger.types';
import type { ProvisioningItemEntity } from './provisioning-item.entity';
import type { ProvisioningJobEntity } from './provisioning-job.entity';
import type { ProvisioningStepEntity } from './provisioning-step.entity';

/**
 * The rows of a new job, item and step, with every column a fresh one starts with: the one place that knows
 * the defaults (job submissions use them, and tests build ledger rows with them instead of re-typing them).
 */

export interface NewJob {
  id: string;
  templateId: string;
  templateVersion: number;
  mode: JobMode;
  planId?: string | null;
  options?: string;
  maxInFlight?: number | null;
  items: number;
  createdBy: string;
}

export function newJobRow(job: NewJob, now: Date): ProvisioningJobEntity {
  return {
    id: job.id,
    templateId: job.templateId,
    templateVersion: job.templateVersion,
    mode: job.mode,
    planId: job.planId ?? null,
    state: 'pending',
    options: job.options ?? '{}',
    maxInFlight: job.maxInFlight ?? null,
    claimedAt: new Date(0),
    itemsTotal: job.items,
    itemsPending: job.items,
    itemsWaiting: 0,
    itemsRunning: 0,
    itemsSucceeded: 0,
    itemsFailed: 0,
    itemsSkipped: 0,
    itemsCancelled: 0,
    vendorCalls: 0,
    run: 1,
    createdBy: job.createdBy,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    updatedAt: now,
  };
}

export interface NewItem {
  id: string;
  jobId: string;
  subscriberId: string;
  rowIndex: number;
  vars?: Record<string, string> | null;
}

/** A pending item, due at `now`. */
export function newItemRow(item: NewItem, now: Date): ProvisioningItemEntity {
  return {
    id: item.id,
    jobId: item.jobId,
    subscriberId: item.subscriberId,
    rowIndex: item.rowIndex,
    vars: item.vars === undefined || item.vars === null ? null : JSON.stringify(item.vars),
    state: 'pending',
    attempts: 0,
    failures: 0,
    fence: 0,
    leaseOwner: null,
    leaseExpiresAt: null,
    nextAttemptAt: now,
    currentStep: null,
    lastErrorCode: null,
    lastErrorMessage: null,
    waitReason: null,
    waitUntil: null,
    skipReason: null,
    vendorCalls: 0,
    drift: false,
    startedAt: null,
    finishedAt: null,
    updatedAt: now,
  };
}

/** A new (pending) step row from a planned step. */
export function toStepRow(itemId: string, step: PlannedStep, now: Date): ProvisioningStepEntity {
  return {
    itemId,
    stepIndex: step.index,
    kind: step.kind,
    key: step.key,
    plannedAction: step.action,
    desired: JSON.stringify(step.desired),
    observed: step.observed ?? null,
    estimatedCalls: step.estimatedCalls,
    state: 'pending',
    resultAction: null,
    attempts: 0,
    lastErrorCode: null,
    lastErrorMessage: null,
    vendorRequestIds: null,
    vendorCalls: 0,
    drift: false,
    updatedAt: now,
  };
}

/** A planned step as stored, back in the contract's shape (observed undefined when nothing was read). */
export function toPlannedStep(step: ProvisioningStepEntity): PlannedStep {
  return {
    index: step.stepIndex,
    kind: step.kind,
    key: step.key,
    desired: JSON.parse(step.desired) as Record<string, unknown>,
    action: step.plannedAction,
    observed: step.plannedAction === null ? undefined : step.observed,
    estimatedCalls: step.estimatedCalls,
  };
}
