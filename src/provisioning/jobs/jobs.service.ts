import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, In } from 'typeorm';

import type { Principal } from '../../auth/principal';
import { csvLine } from '../../common/csv/csv';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, type PaginationQueryDto } from '../../common/http/pagination';
import {
  type IdempotentOutcome,
  idempotencyScopeOf,
  IdempotencyService,
  requestFingerprint,
} from '../../common/idempotency/idempotency.service';
import { DomainEvents } from '../../common/events/domain-events';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { SubscriberEntity } from '../../subscribers/subscriber.entity';
import { JobLifecycle } from '../ledger/job-lifecycle';
import { emptyTotals, LedgerRepository } from '../ledger/ledger.repository';
import type { FinalItemState, JobState } from '../ledger/ledger.types';
import type { ProvisioningItemEntity } from '../ledger/provisioning-item.entity';
import type { ProvisioningJobEntity } from '../ledger/provisioning-job.entity';
import { ProvisioningMetrics } from '../ledger/provisioning.metrics';
import { ProvisioningWorkers } from '../ledger/worker-pool';
import { JobSubmissions } from './job-submissions';
import { toItemView, toJobView } from './job-view';
import type {
  CreateJobDto,
  DryRunResponseDto,
  ItemResponseDto,
  JobReportDto,
  JobResponseDto,
  ListItemsQueryDto,
  ReportItemDto,
} from './jobs.dto';

export const JOBS_ROUTE = '/v1/provisioning/jobs';
/** Jobs whose failed items may be retried. */
const RETRYABLE_FROM: readonly JobState[] = ['running', 'completed_with_errors', 'failed'];
const REPORT_PAGE_SIZE = 1000;

export const REPORT_CSV_COLUMNS = [
  'row_index',
  'subscriber_id',
  'ipaas_company_id',
  'name',
  'state',
  'skip_reason',
  'error_code',
  'error_message',
  'attempts',
  'vendor_calls',
  'drift',
  'created',
  'updated',
  'noop',
  'adopted',
  'started_at',
  'finished_at',
] as const;

function reportCsvLine(item: ReportItemDto): string {
  return csvLine([
    item.rowIndex,
    item.subscriberId,
    item.ipaasCompanyId,
    item.name,
    item.state,
    item.skipReason,
    item.errorCode,
    item.errorMessage,
    item.attempts,
    item.vendorCalls,
    item.drift ? 'true' : 'false',
    item.created,
    item.updated,
    item.noop,
    item.adopted,
    item.startedAt?.toISOString() ?? null,
    item.finishedAt?.toISOString() ?? null,
  ]);
}

/** The jobs API: submit (idempotent), read, cancel, retry the failed items, report. */
@Injectable()
export class JobsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerRepository,
    private readonly submissions: JobSubmissions,
    private readonly idempotency: IdempotencyService,
    private readonly lifecycle: JobLifecycle,
    private readonly workers: ProvisioningWorkers,
    private readonly metrics: ProvisioningMetrics,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async submit(
    request: CreateJobDto,
    principal: Principal,
    idempotencyKey: string | undefined,
  ): Promise<IdempotentOutcome<JobResponseDto | DryRunResponseDto>> {
    const outcome = await this.idempotency.execute(
      {
        scope: idempotencyScopeOf(principal),
        key: idempotencyKey,
        fingerprint: requestFingerprint('POST', JOBS_ROUTE, request),
      },
      (record) => this.submissions.submit(request, principal.label, record),
    );
    if (outcome.status === 201 && !outcome.replayed) {
      this.workers.wake();
    }
    return outcome;
  }

  async list(query: PaginationQueryDto): Promise<Page<JobResponseDto>> {
    const [jobs, total] = await this.ledger.pageJobs((query.pageNumber - 1) * query.pageSize, query.pageSize);
    const totals = await this.ledger.countItemsOfJobs(jobs.map((job) => job.id));
    const now = this.clock.nowMs();
    return Page.of(
      jobs.map((job) => toJobView(job, totals.get(job.id) ?? emptyTotals(), now)),
      total,
      query,
    );
  }

  async get(id: string): Promise<JobResponseDto> {
    return this.view(await this.job(id));
  }

  async items(id: string, query: ListItemsQueryDto): Promise<Page<ItemResponseDto>> {
    await this.job(id);
    const [items, total] = await this.ledger.pageItems(
      id,
      query.state,
      (query.pageNumber - 1) * query.pageSize,
      query.pageSize,
    );
    const steps = await this.ledger.stepsOf(items.map((item) => item.id));
    return Page.of(
      items.map((item) =>
        toItemView(
          item,
          steps.filter((step) => step.itemId === item.id),
        ),
      ),
      total,
      query,
    );
  }

  /** Stops claiming; pending items are cancelled, running ones finish (then the job is `cancelled`). */
  async cancel(id: string): Promise<JobResponseDto> {
    const now = this.clock.nowMs();
    const result = await this.ledger.cancel(id, now);
    if (result === null) {
      throw AppError.notFound(`Provisioning job ${id}`);
    }
    if (result.previous === 'pending' || result.previous === 'running') {
      this.metrics.itemFinished('cancelled', result.cancelledItems);
      await this.ledger.appendEvents(
        [
          {
            jobId: id,
            itemId: null,
            type: 'job.cancelling',
            payload: { cancelledItems: result.cancelledItems },
          },
        ],
        now,
      );
      await this.ledger.snapshotCounters(id, now);
      await this.lifecycle.finishIfDone(id);
    } else if (result.previous !== 'cancelling' && result.previous !== 'cancelled') {
      throw new AppError(
        ErrorCode.PROVISIONING_JOB_STATE_CONFLICT,
        `Provisioning job ${id} has ended (${result.previous}); there is nothing to cancel`,
        { extensions: { jobState: result.previous } },
      );
    }
    return this.get(id);
  }

  /** Puts the failed items back in the queue with a fresh attempt budget; other items are left as they are. */
  retry(id: string): Promise<JobResponseDto> {
    return this.reopen(id, 'job.retried', { from: RETRYABLE_FROM, items: ['failed'] });
  }

  /** A cancelled job goes on: its cancelled and failed items are pending again, with fresh attempts. */
  resume(id: string): Promise<JobResponseDto> {
    return this.reopen(id, 'job.resumed', { from: ['cancelled'], items: ['cancelled', 'failed'] });
  }

  private async reopen(
    id: string,
    type: 'job.retried' | 'job.resumed',
    scope: { from: readonly JobState[]; items: readonly FinalItemState[] },
  ): Promise<JobResponseDto> {
    const now = this.clock.nowMs();
    const reopened = await this.ledger.reopen(id, scope, now);
    const job = await this.job(id);
    if (reopened === 0) {
      throw new AppError(
        ErrorCode.PROVISIONING_JOB_STATE_CONFLICT,
        scope.from.includes(job.state)
          ? `Provisioning job ${id} has no ${scope.items.join(' or ')} items to reopen`
          : `Provisioning job ${id} is ${job.state}; this is done from: ${scope.from.join(', ')}`,
        { extensions: { jobState: job.state } },
      );
    }
    await this.ledger.appendEvents(
      [{ jobId: id, itemId: null, type, payload: { items: reopened, run: job.run } }],
      now,
    );
    await this.ledger.snapshotCounters(id, now);
    this.events.emit({ type: 'provisioning_job.reopened', jobId: id, state: job.state });
    this.workers.wake();
    return this.view(job);
  }

  async report(id: string): Promise<JobReportDto> {
    const job = await this.get(id);
    const items: ReportItemDto[] = [];
    for await (const page of this.reportPages(id)) {
      items.push(...page);
    }
    return { job, items };
  }

  /** The report as CSV, a page of items at a time (CSV-injection safe cells). */
  async *reportCsv(id: string): AsyncGenerator<string> {
    await this.job(id);
    yield csvLine([...REPORT_CSV_COLUMNS]);
    for await (const page of this.reportPages(id)) {
      yield page.map(reportCsvLine).join('');
    }
  }

  private async *reportPages(jobId: string): AsyncGenerator<ReportItemDto[]> {
    for await (const items of this.ledger.itemPages(jobId, REPORT_PAGE_SIZE)) {
      const subscribers = new Map(
        (
          await this.dataSource
            .getRepository(SubscriberEntity)
            .find({ where: { id: In(items.map((item) => item.subscriberId)) } })
        ).map((subscriber) => [subscriber.id, subscriber]),
      );
      const steps = await this.ledger.stepsOf(items.map((item) => item.id));
      yield items.map((item) => this.reportItem(item, subscribers.get(item.subscriberId), steps));
    }
  }

  private reportItem(
    item: ProvisioningItemEntity,
    subscriber: SubscriberEntity | undefined,
    steps: { itemId: string; resultAction: string | null }[],
  ): ReportItemDto {
    const results = steps.filter((step) => step.itemId === item.id).map((step) => step.resultAction);
    return {
      rowIndex: item.rowIndex,
      subscriberId: item.subscriberId,
      ipaasCompanyId: subscriber?.ipaasCompanyId ?? null,
      name: subscriber?.name ?? null,
      state: item.state,
      skipReason: item.skipReason,
      errorCode: item.lastErrorCode,
      errorMessage: item.lastErrorMessage,
      attempts: item.attempts,
      vendorCalls: item.vendorCalls,
      drift: item.drift,
      created: results.filter((action) => action === 'created').length,
      updated: results.filter((action) => action === 'updated').length,
      noop: results.filter((action) => action === 'noop').length,
      adopted: results.filter((action) => action === 'adopted').length,
      startedAt: item.startedAt,
      finishedAt: item.finishedAt,
    };
  }

  private async view(job: ProvisioningJobEntity): Promise<JobResponseDto> {
    const [totals, plan] = await Promise.all([
      this.ledger.countItems(job.id),
      this.ledger.planTotals(job.id),
    ]);
    return toJobView(job, totals, this.clock.nowMs(), { totals: plan, rates: this.config.ipaas });
  }

  private async job(id: string): Promise<ProvisioningJobEntity> {
    const job = await this.ledger.findJob(id);
    if (job === null) {
      throw AppError.notFound(`Provisioning job ${id}`);
    }
    return job;
  }
}
