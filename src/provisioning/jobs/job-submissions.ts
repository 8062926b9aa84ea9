import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, In } from 'typeorm';

import { AppError, type FieldProblem } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { RecordResponse } from '../../common/idempotency/idempotency.service';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { isUniqueViolation } from '../../database/unique-violation';
import { CompanyRegistration, unknownCompanyMessage } from '../../relationships/company-registration';
import { IdGenerator } from '../../subscribers/id-generator';
import { newSubscriberRow, SubscriberEntity } from '../../subscribers/subscriber.entity';
import { newItemRow, newJobRow, toPlannedStep, toStepRow } from '../ledger/ledger-rows';
import { emptyTotals, type ItemTotals, LedgerRepository, type PlanTotals } from '../ledger/ledger.repository';
import { ProvisioningItemEntity } from '../ledger/provisioning-item.entity';
import { ProvisioningJobEntity } from '../ledger/provisioning-job.entity';
import { ProvisioningStepEntity } from '../ledger/provisioning-step.entity';
import { type PlannedStep, StepPlanner } from '../steps/step.types';
import type { TemplateVersion } from '../templates/templates.service';
import { JobTemplates } from './job-templates';
import { planSummary, toJobView } from './job-view';
import type { CreateJobDto, DryRunResponseDto, JobResponseDto, JobRowDto } from './jobs.dto';

/** Ids per `IN (...)` lookup. */
const LOOKUP_CHUNK = 500;
/** Plan jobs whose items may be applied. */
const APPLICABLE_PLAN_STATES = ['succeeded', 'completed_with_errors'];

interface PreparedRow {
  subscriberId: string;
  vars: Record<string, string> | null;
  steps: PlannedStep[];
}

interface PreparedJob {
  template: TemplateVersion;
  rows: PreparedRow[];
  newSubscribers: SubscriberEntity[];
}

type Identity = Pick<SubscriberEntity, 'id' | 'name' | 'ipaasCompanyId' | 'externalRef'>;

/**
 * Validates and stores a job request. The whole request is checked before anything is written, and a 400
 * lists every bad row (`subscribers.17.vars.region`); then the new companies, the job, its items and their
 * steps are written in ONE transaction, so nothing at all is stored unless everything is.
 */
@Injectable()
export class JobSubmissions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly ledger: LedgerRepository,
    private readonly templates: JobTemplates,
    private readonly planner: StepPlanner,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly registration: CompanyRegistration,
  ) {}

  async submit(
    request: CreateJobDto,
    createdBy: string,
    record: RecordResponse,
  ): Promise<{ status: number; body: JobResponseDto | DryRunResponseDto }> {
    const prepared = await this.prepare(request);
    const plan = planTotalsOf(prepared.rows);
    if (request.options?.dryRun === true) {
      const body: DryRunResponseDto = {
        valid: true,
        rows: prepared.rows.length,
        newSubscribers: prepared.newSubscribers.length,
        plan: planSummary(plan, prepared.rows.length, this.config.ipaas),
      };
      return { status: 200, body };
    }
    const now = this.clock.now();
    const job = this.newJob(request, prepared.template, createdBy, now, prepared.rows.length);
    const items: ProvisioningItemEntity[] = [];
    const steps: ProvisioningStepEntity[] = [];
    prepared.rows.forEach((row, rowIndex) => {
      const item = this.newItem(job.id, row, rowIndex, now);
      items.push(item);
      steps.push(...row.steps.map((step) => toStepRow(item.id, step, now)));
    });
    const totals: ItemTotals = emptyTotals();
    totals.counts.total = items.length;
    totals.counts.pending = items.length;
    const body = toJobView(job, totals, now.getTime(), { totals: plan, rates: this.config.ipaas });
    try {
      await this.transactions.run(async (manager) => {
        await this.ledger.insertChunked(manager, SubscriberEntity, prepared.newSubscribers);
        await manager.insert(ProvisioningJobEntity, job);
        await this.ledger.insertChunked(manager, ProvisioningItemEntity, items);
        await this.ledger.insertChunked(manager, ProvisioningStepEntity, steps);
        await this.ledger.appendEvents(
          [
            {
              jobId: job.id,
              itemId: null,
              type: 'job.submitted',
              payload: { items: items.length, newSubscribers: prepared.newSubscribers.length },
            },
          ],
          now.getTime(),
          manager,
        );
        await record(manager, { status: 201, body });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          ErrorCode.CONFLICT,
          'A company of this job was registered concurrently; nothing was stored, submit the job again',
        );
      }
      throw error;
    }
    return { status: 201, body };
  }

  private async prepare(request: CreateJobDto): Promise<PreparedJob> {
    const problems: FieldProblem[] = [];
    const template = await this.templates.load(request.templateId).catch((error: unknown) => {
      if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) {
        problems.push({ field: 'templateId', message: 'no provisioning template version has this id' });
        return null;
      }
      throw error;
    });
    const plan = await this.planOf(request, problems);
    if (request.subscribers === undefined && request.planId === undefined) {
      problems.push({ field: 'subscribers', message: 'subscribers is required unless planId is given' });
    }
    const rows: JobRowDto[] =
      request.subscribers ??
      [...(plan?.items.values() ?? [])]
        .sort((a, b) => a.rowIndex - b.rowIndex)
        .map((item) => ({ subscriberId: item.subscriberId }));
    const { identities, newSubscribers } = await this.identify(rows, problems);
    const unknownAtVendor = await this.checkAtVendor(rows, identities, newSubscribers, problems);
    const prepared: PreparedRow[] = [];
    identities.forEach((identity, index) => {
      if (identity === null) {
        return;
      }
      const field = `subscribers.${index}`;
      const row = rows[index];
      if (plan !== null) {
        const planned = plan.items.get(identity.id);
        if (planned === undefined) {
          problems.push({
            field,
            message: `is not a company planned successfully by plan job ${plan.job.id}`,
          });
        } else if (row.vars !== undefined) {
          problems.push({ field: `${field}.vars`, message: "come from the plan's rows; leave them out" });
        } else {
          prepared.push({
            subscriberId: identity.id,
            vars: planned.vars,
            steps: plan.steps.get(planned.id) ?? [],
          });
        }
        return;
      }
      if (template === null) {
        return;
      }
      const result = JobTemplates.render(template, identity, row.vars ?? null);
      if ('errors' in result) {
        problems.push(
          ...result.errors.map((problem) => ({ ...problem, field: `${field}.${problem.field}` })),
        );
        return;
      }
      prepared.push({
        subscriberId: identity.id,
        vars: row.vars ?? null,
        steps: this.planner.outline(result.rendered),
      });
    });
    if (problems.length > 0 || template === null) {
      throw AppError.validation(problems, unknownAtVendor.length > 0 ? { unknownAtVendor } : undefined);
    }
    return { template, rows: prepared, newSubscribers };
  }

  /** The plan job a request applies, with its successfully planned items and their steps. */
  private async planOf(
    request: CreateJobDto,
    problems: FieldProblem[],
  ): Promise<{
    job: ProvisioningJobEntity;
    items: Map<
      string,
      { id: string; rowIndex: number; subscriberId: string; vars: Record<string, string> | null }
    >;
    steps: Map<string, PlannedStep[]>;
  } | null> {
    if (request.planId === undefined) {
      return null;
    }
    const job = await this.ledger.findJob(request.planId);
    const refuse = (message: string): null => {
      problems.push({ field: 'planId', message });
      return null;
    };
    if (request.mode !== 'apply') {
      return refuse('only an apply job executes a plan');
    }
    if (job === null || job.mode !== 'plan') {
      return refuse('no plan job has this id');
    }
    if (!APPLICABLE_PLAN_STATES.includes(job.state)) {
      return refuse(`the plan job has not finished (it is ${job.state})`);
    }
    if (job.templateId !== request.templateId) {
      problems.push({ field: 'templateId', message: `differs from the plan's template ${job.templateId}` });
      return null;
    }
    const items = new Map(
      [...(await this.ledger.itemsBySubscriber(job.id)).values()]
        .filter((item) => item.state === 'succeeded')
        .map((item) => [
          item.subscriberId,
          {
            id: item.id,
            rowIndex: item.rowIndex,
            subscriberId: item.subscriberId,
            vars: item.vars === null ? null : (JSON.parse(item.vars) as Record<string, string>),
          },
        ]),
    );
    const steps = new Map<string, PlannedStep[]>();
    const itemIds = [...items.values()].map((item) => item.id);
    for (let start = 0; start < itemIds.length; start += LOOKUP_CHUNK) {
      for (const step of await this.ledger.stepsOf(itemIds.slice(start, start + LOOKUP_CHUNK))) {
        steps.set(step.itemId, [...(steps.get(step.itemId) ?? []), toPlannedStep(step)]);
      }
    }
    return { job, items, steps };
  }

  /**
   * The subscriber of each row: registered (by id or company id), or a new one to register (in
   * `newSubscribers`, not stored yet); null for a bad row, whose problems are added.
   */
  private async identify(
    rows: readonly JobRowDto[],
    problems: FieldProblem[],
  ): Promise<{ identities: (Identity | null)[]; newSubscribers: SubscriberEntity[] }> {
    const byId = await this.lookUp(
      'id',
      rows.map((row) => row.subscriberId),
    );
    const byCompany = await this.lookUp(
      'ipaasCompanyId',
      rows.map((row) => row.ipaasCompanyId),
    );
    const newByCompany = new Map<string, SubscriberEntity>();
    const firstRowOf = new Map<string, number>();
    const now = this.clock.now();
    const identities = rows.map((row, index): Identity | null => {
      const field = `subscribers.${index}`;
      if ((row.subscriberId === undefined) === (row.ipaasCompanyId === undefined)) {
        problems.push({ field, message: 'give exactly one of subscriberId or ipaasCompanyId' });
        return null;
      }
      let identity: Identity | undefined;
      if (row.subscriberId !== undefined) {
        identity = byId.get(row.subscriberId);
        if (identity === undefined) {
          problems.push({ field: `${field}.subscriberId`, message: 'no subscriber has this id' });
          return null;
        }
      } else {
        const companyId = row.ipaasCompanyId as string;
        identity = byCompany.get(companyId) ?? newByCompany.get(companyId);
        if (identity === undefined) {
          if (row.name === undefined) {
            problems.push({
              field: `${field}.name`,
              message: `is required to register company ${companyId}, which is not a subscriber yet`,
            });
            return null;
          }
          const created = this.newSubscriber(companyId, row.name, now);
          newByCompany.set(companyId, created);
          identity = created;
        }
      }
      const first = firstRowOf.get(identity.id);
      if (first !== undefined) {
        problems.push({ field, message: `is the same company as subscribers.${first}` });
        return null;
      }
      firstRowOf.set(identity.id, index);
      return identity;
    });
    return { identities, newSubscribers: [...newByCompany.values()] };
  }

  /**
   * Companies a job would register must be ones iPaaS.com lists for the MiSP: one reading of the listing for
   * the whole request (not one per row), each unknown row refused (the 400 lists them, nothing is stored;
   * `unknownAtVendor` names the companies). A new company takes the vendor's status, or `unverified` when the
   * listing cannot be read.
   */
  private async checkAtVendor(
    rows: readonly JobRowDto[],
    identities: readonly (Identity | null)[],
    newSubscribers: SubscriberEntity[],
    problems: FieldProblem[],
  ): Promise<string[]> {
    if (newSubscribers.length === 0) {
      return [];
    }
    const check = await this.registration.check(newSubscribers.map((entity) => entity.ipaasCompanyId));
    const unknown = new Set<string>();
    for (const entity of newSubscribers) {
      const fields = check.fieldsOf(entity.ipaasCompanyId);
      if (fields === undefined) {
        unknown.add(entity.id);
      } else {
        Object.assign(entity, fields);
      }
    }
    const unknownAtVendor: string[] = [];
    identities.forEach((identity, index) => {
      if (identity !== null && unknown.has(identity.id)) {
        unknownAtVendor.push(identity.ipaasCompanyId);
        problems.push({
          field: `subscribers.${index}.ipaasCompanyId`,
          message: unknownCompanyMessage(rows[index].ipaasCompanyId as string),
        });
      }
    });
    return unknownAtVendor;
  }

  private async lookUp(
    column: 'id' | 'ipaasCompanyId',
    values: readonly (string | undefined)[],
  ): Promise<Map<string, SubscriberEntity>> {
    const wanted = [...new Set(values.filter((value): value is string => value !== undefined))];
    const found = new Map<string, SubscriberEntity>();
    const repository = this.dataSource.getRepository(SubscriberEntity);
    for (let start = 0; start < wanted.length; start += LOOKUP_CHUNK) {
      const rows = await repository.find({
        where: { [column]: In(wanted.slice(start, start + LOOKUP_CHUNK)) },
      });
      for (const row of rows) {
        found.set(row[column], row);
      }
    }
    return found;
  }

  /** A company registered by a job; `checkAtVendor` gives it the vendor's status before it is stored. */
  private newSubscriber(ipaasCompanyId: string, name: string, now: Date): SubscriberEntity {
    return newSubscriberRow(this.ids.newId(), now, { ipaasCompanyId, name });
  }

  private newJob(
    request: CreateJobDto,
    template: TemplateVersion,
    createdBy: string,
    now: Date,
    items: number,
  ): ProvisioningJobEntity {
    return newJobRow(
      {
        id: this.ids.newId(),
        templateId: template.id,
        templateVersion: template.version,
        mode: request.mode,
        planId: request.planId ?? null,
        options: JSON.stringify(request.options ?? {}),
        maxInFlight: request.options?.concurrency ?? null,
        items,
        createdBy,
      },
      now,
    );
  }

  private newItem(jobId: string, row: PreparedRow, rowIndex: number, now: Date): ProvisioningItemEntity {
    return newItemRow(
      { id: this.ids.newId(), jobId, subscriberId: row.subscriberId, rowIndex, vars: row.vars },
      now,
    );
  }
}

/** The plan totals of rows not stored yet (the submit response is built before the commit). */
function planTotalsOf(rows: readonly PreparedRow[]): PlanTotals {
  const totals: PlanTotals = {
    create: 0,
    update: 0,
    noop: 0,
    unplanned: 0,
    estimatedCalls: 0,
    remainingCalls: 0,
  };
  for (const step of rows.flatMap((row) => row.steps)) {
    totals[step.action ?? 'unplanned'] += 1;
    totals.estimatedCalls += step.estimatedCalls;
  }
  totals.remainingCalls = totals.estimatedCalls;
  return totals;
}
