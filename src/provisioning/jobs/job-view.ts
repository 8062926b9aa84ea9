import type { IpaasSettings } from '../../config/app-config';
import type { ItemTotals, PlanTotals } from '../ledger/ledger.repository';
import { TERMINAL_JOB_STATES } from '../ledger/ledger.types';
import type { ProvisioningItemEntity } from '../ledger/provisioning-item.entity';
import type { ProvisioningJobEntity } from '../ledger/provisioning-job.entity';
import type { ProvisioningStepEntity } from '../ledger/provisioning-step.entity';
import { estimateSeconds } from '../steps/eta';
import type {
  ItemResponseDto,
  JobOptionsDto,
  JobResponseDto,
  PlanSummaryDto,
  StepResponseDto,
} from './jobs.dto';

export type Rates = Pick<IpaasSettings, 'globalRatePerSecond' | 'companyRatePerSecond'>;

function secondsBetween(from: Date | null, to: number): number {
  return from === null ? 0 : Math.max(0, (to - from.getTime()) / 1000);
}

export function planSummary(plan: PlanTotals, companies: number, rates: Rates): PlanSummaryDto {
  return {
    create: plan.create,
    update: plan.update,
    noop: plan.noop,
    unplanned: plan.unplanned,
    estimatedCalls: plan.estimatedCalls,
    estimatedSeconds: estimateSeconds(plan.estimatedCalls, companies, rates),
  };
}

/**
 * Seconds until the job ends: 0 once it has; else the pace so far (items ended per second since it started)
 * applied to the items left; before any item ended, the planned calls left at the configured rates; else
 * unknown (null).
 */
export function etaSeconds(
  job: Pick<ProvisioningJobEntity, 'state' | 'startedAt'>,
  totals: ItemTotals,
  nowMs: number,
  remaining: { calls: number; rates: Rates } | undefined,
): number | null {
  if (TERMINAL_JOB_STATES.includes(job.state)) {
    return 0;
  }
  const left = totals.counts.pending + totals.counts.running;
  const ended = totals.counts.total - left;
  const elapsed = secondsBetween(job.startedAt, nowMs);
  if (ended > 0 && elapsed > 0) {
    return Math.ceil((left * elapsed) / ended);
  }
  return remaining === undefined ? null : estimateSeconds(remaining.calls, left, remaining.rates);
}

export function toJobView(
  job: ProvisioningJobEntity,
  totals: ItemTotals,
  nowMs: number,
  plan?: { totals: PlanTotals; rates: Rates },
): JobResponseDto {
  const ended = job.finishedAt?.getTime() ?? nowMs;
  const elapsed = secondsBetween(job.startedAt, ended);
  const view: JobResponseDto = {
    id: job.id,
    templateId: job.templateId,
    templateVersion: job.templateVersion,
    mode: job.mode,
    planId: job.planId,
    state: job.state,
    options: JSON.parse(job.options) as JobOptionsDto,
    counts: { ...totals.counts },
    vendorCalls: totals.vendorCalls,
    drifted: totals.drifted,
    throughputPerSecond: elapsed > 0 ? Math.round((totals.vendorCalls / elapsed) * 100) / 100 : 0,
    etaSeconds: etaSeconds(
      job,
      totals,
      nowMs,
      plan === undefined || job.mode === 'plan'
        ? undefined
        : { calls: plan.totals.remainingCalls, rates: plan.rates },
    ),
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    updatedAt: job.updatedAt,
  };
  if (plan !== undefined) {
    view.plan = planSummary(plan.totals, totals.counts.total, plan.rates);
  }
  return view;
}

export function toStepView(step: ProvisioningStepEntity): StepResponseDto {
  return {
    index: step.stepIndex,
    kind: step.kind,
    key: step.key,
    plannedAction: step.plannedAction,
    state: step.state,
    resultAction: step.resultAction,
    attempts: step.attempts,
    vendorCalls: step.vendorCalls,
    vendorRequestIds: step.vendorRequestIds === null ? [] : (JSON.parse(step.vendorRequestIds) as string[]),
    drift: step.drift,
    lastError:
      step.lastErrorCode === null ? null : { code: step.lastErrorCode, message: step.lastErrorMessage ?? '' },
  };
}

export function toItemView(item: ProvisioningItemEntity, steps: ProvisioningStepEntity[]): ItemResponseDto {
  return {
    id: item.id,
    rowIndex: item.rowIndex,
    subscriberId: item.subscriberId,
    state: item.state,
    attempts: item.attempts,
    currentStep: item.currentStep,
    lastError:
      item.lastErrorCode === null ? null : { code: item.lastErrorCode, message: item.lastErrorMessage ?? '' },
    skipReason: item.skipReason,
    waitReason: item.waitReason,
    waitUntil: item.waitUntil,
    vendorCalls: item.vendorCalls,
    drift: item.drift,
    nextAttemptAt: item.state === 'pending' || item.state === 'waiting' ? item.nextAttemptAt : null,
    startedAt: item.startedAt,
    finishedAt: item.finishedAt,
    steps: steps.map(toStepView),
  };
}
