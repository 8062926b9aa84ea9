import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Page } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { IdGenerator } from './id-generator';
import {
  type HealthStatus,
  newSubscriberRow,
  type SubscriberEntity,
  type SubscriberStatus,
} from './subscriber.entity';
import {
  type CredentialState,
  type SubscriberFilter,
  type SubscriberPatch,
  type SubscriberRow,
  SubscribersRepository,
  type SubscriberSort,
} from './subscribers.repository';

export type { CredentialState, HealthStatus, SubscriberStatus };

export interface Subscriber {
  id: string;
  ipaasCompanyId: string;
  name: string;
  status: SubscriberStatus;
  statusReason: string | null;
  healthStatus: HealthStatus;
  healthSince: Date | null;
  externalRef: string | null;
  notes: string | null;
  vendorRequestId: number | null;
  syncedAt: Date | null;
  quotaExhaustedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A subscriber as the API shows it: with its tags and the status of its stored credential. */
export interface SubscriberView extends Subscriber {
  tags: string[];
  credentialStatus: CredentialState;
}

export interface CreateSubscriberInput {
  ipaasCompanyId: string;
  name: string;
  tags?: string[];
  externalRef?: string | null;
  notes?: string | null;
}

/** Omitted fields stay; null clears the external reference or the notes; tags replace the whole set. */
export interface UpdateSubscriberInput {
  name?: string;
  tags?: string[];
  externalRef?: string | null;
  notes?: string | null;
}

export interface ListSubscribersQuery extends SubscriberFilter {
  pageNumber: number;
  pageSize: number;
  sort?: SubscriberSort;
}

/** What a sync takes from iPaaS.com for one company. */
export interface SyncedFields {
  name: string;
  status: SubscriberStatus;
  statusReason: string | null;
  vendorRequestId: number | null;
}

/** A sync's change to one row, made only if the row is still in the status the sync compared. */
export interface SyncUpdate {
  id: string;
  previousStatus: SubscriberStatus;
  fields: SyncedFields;
}

export interface StatusChange {
  to: SubscriberStatus;
  reason?: string | null;
  vendorRequestId?: number | null;
}

/** Suspended, offboarded and unverified companies get no vendor calls at all. */
const HALTED_STATUSES: ReadonlySet<SubscriberStatus> = new Set(['suspended', 'offboarded', 'unverified']);
const HALTED_UNTIL: Partial<Record<SubscriberStatus, string>> = {
  suspended: ' until it is resumed',
  unverified: ' until a sync (POST /v1/subscribers/sync) has verified it at iPaaS.com',
};

function toSubscriber(entity: SubscriberEntity): Subscriber {
  return {
    id: entity.id,
    ipaasCompanyId: entity.ipaasCompanyId,
    name: entity.name,
    status: entity.status,
    statusReason: entity.statusReason,
    healthStatus: entity.healthStatus,
    healthSince: entity.healthSince,
    externalRef: entity.externalRef,
    notes: entity.notes,
    vendorRequestId: entity.vendorRequestId,
    syncedAt: entity.syncedAt,
    quotaExhaustedUntil: entity.quotaExhaustedUntil,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}

/** Tags as a set: duplicates dropped, sorted (validation already enforced the format and the count). */
function normalizeTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}

/** The subscriber companies of the MiSP: registry CRUD, relationship status changes and sync writes. */
@Injectable()
export class SubscribersService {
  constructor(
    private readonly subscribers: SubscribersRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  /** Jobs and health checks act only on workable subscribers: an active relationship, not suspended. */
  static isWorkable(subscriber: Pick<Subscriber, 'status'>): boolean {
    return subscriber.status === 'active';
  }

  /** Throws SUBSCRIBER_STATE_CONFLICT unless the subscriber is in one of `allowed`. */
  static requireStatus(
    subscriber: Pick<Subscriber, 'id' | 'status'>,
    allowed: readonly SubscriberStatus[],
    operation: string,
  ): void {
    if (!allowed.includes(subscriber.status)) {
      throw new AppError(
        ErrorCode.SUBSCRIBER_STATE_CONFLICT,
        `Cannot ${operation} subscriber ${subscriber.id} while it is ${subscriber.status}; allowed from: ${allowed.join(', ')}`,
        { extensions: { subscriberStatus: subscriber.status, allowedStatuses: [...allowed] } },
      );
    }
  }

  /**
   * Stores a new registry row, in the relationship status `relationship` gives (active by default). The
   * vendor check of a registration is CompanyRegistration's (src/relationships); this is only the write.
   */
  async create(
    input: CreateSubscriberInput,
    relationship: Partial<Pick<SubscriberEntity, 'status' | 'statusReason' | 'vendorRequestId'>> = {},
  ): Promise<SubscriberView> {
    await this.refuseTaken(input);
    const now = this.clock.now();
    const entity = newSubscriberRow(this.ids.newId(), now, {
      ipaasCompanyId: input.ipaasCompanyId,
      name: input.name,
      externalRef: input.externalRef ?? null,
      notes: input.notes ?? null,
      ...relationship,
    });
    if (!(await this.subscribers.insert(entity, normalizeTags(input.tags ?? [])))) {
      // A concurrent request took a unique value between the check and the insert.
      await this.refuseTaken(input);
      throw new AppError(ErrorCode.CONFLICT, 'The subscriber conflicts with one registered concurrently');
    }
    return this.view(entity.id);
  }

  async update(id: string, input: UpdateSubscriberInput): Promise<SubscriberView> {
    const current = await this.get(id);
    const patch: SubscriberPatch = {};
    if (input.name !== undefined) {
      patch.name = input.name;
    }
    if (input.notes !== undefined) {
      patch.notes = input.notes;
    }
    if (input.externalRef !== undefined && input.externalRef !== current.externalRef) {
      await this.refuseTaken({ externalRef: input.externalRef });
      patch.externalRef = input.externalRef;
    }
    const tags = input.tags === undefined ? undefined : normalizeTags(input.tags);
    patch.updatedAt = this.clock.now();
    if (!(await this.subscribers.update(id, patch, tags))) {
      await this.refuseTaken({ externalRef: input.externalRef });
      throw new AppError(ErrorCode.CONFLICT, 'The subscriber conflicts with one updated concurrently');
    }
    return this.view(id);
  }

  /** The stored row, without tags or credential status (the hot path of vendor calls reads this). */
  async get(id: string): Promise<Subscriber> {
    const entity = await this.subscribers.findById(id);
    if (entity === null) {
      throw AppError.notFound(`Subscriber ${id}`);
    }
    return toSubscriber(entity);
  }

  /** The stored rows of these ids (those that exist), in one read. */
  async getMany(ids: readonly string[]): Promise<Subscriber[]> {
    return (await this.subscribers.findByIds(ids)).map(toSubscriber);
  }

  async view(id: string): Promise<SubscriberView> {
    const row = await this.subscribers.findRow(id);
    if (row === null) {
      throw AppError.notFound(`Subscriber ${id}`);
    }
    const [view] = await this.views([row]);
    return view;
  }

  async findByCompanyId(ipaasCompanyId: string): Promise<Subscriber | null> {
    const entity = await this.subscribers.findByCompanyId(ipaasCompanyId);
    return entity === null ? null : toSubscriber(entity);
  }

  async list(query: ListSubscribersQuery): Promise<Page<SubscriberView>> {
    const [rows, total] = await this.subscribers.findPage(
      query,
      query.sort ?? 'createdAt',
      (query.pageNumber - 1) * query.pageSize,
      query.pageSize,
    );
    return Page.of(await this.views(rows), total, query);
  }

  /** Every subscriber, oldest first (sync compares them with the vendor's lists). */
  async listAll(): Promise<Subscriber[]> {
    return (await this.subscribers.findAll()).map(toSubscriber);
  }

  /** Forgets an offboarded subscriber (its tags and any credential go with it). */
  async remove(id: string): Promise<void> {
    const subscriber = await this.get(id);
    SubscribersService.requireStatus(subscriber, ['offboarded'], 'delete');
    if (!(await this.subscribers.deleteIfStatus(id, 'offboarded'))) {
      // Changed between the read and the delete (a sync revived it): report what it is now.
      SubscribersService.requireStatus(await this.get(id), ['offboarded'], 'delete');
    }
  }

  /**
   * Moves the subscriber to `change.to` if it is still in one of `from` (compare-and-set, so two staff
   * actions cannot both win); otherwise SUBSCRIBER_STATE_CONFLICT naming the status it is in now.
   */
  async changeStatus(
    id: string,
    from: readonly SubscriberStatus[],
    operation: string,
    change: StatusChange,
  ): Promise<SubscriberView> {
    const patch: SubscriberPatch = {
      status: change.to,
      statusReason: change.reason ?? null,
      updatedAt: this.clock.now(),
    };
    if (change.vendorRequestId !== undefined) {
      patch.vendorRequestId = change.vendorRequestId;
    }
    if (!(await this.subscribers.updateIfStatus(id, from, patch))) {
      SubscribersService.requireStatus(await this.get(id), from, operation);
    }
    return this.view(id);
  }

  /**
   * Writes a sync's outcome. Returns the ids given to the added companies and the ids of the rows changed; a
   * row a staff action moved meanwhile is left to that action (and the next sync).
   */
  async applySync(
    added: readonly (SyncedFields & { ipaasCompanyId: string })[],
    updates: readonly SyncUpdate[],
  ): Promise<{ addedIds: string[]; changedIds: Set<string> }> {
    const now = this.clock.now();
    const inserts = added.map((company) =>
      newSubscriberRow(this.ids.newId(), now, {
        ipaasCompanyId: company.ipaasCompanyId,
        name: company.name,
        status: company.status,
        statusReason: company.statusReason,
        vendorRequestId: company.vendorRequestId,
        syncedAt: now,
      }),
    );
    const changedIds = await this.subscribers.applySync(
      inserts,
      updates.map(({ id, previousStatus, fields }) => ({
        id,
        previousStatus,
        patch: { ...fields, syncedAt: now, updatedAt: now },
      })),
    );
    return { addedIds: inserts.map((entity) => entity.id), changedIds };
  }

  /** Flags (or, with null, clears) the company's monthly quota exhaustion. */
  async setQuotaExhaustedUntil(id: string, until: Date | null): Promise<void> {
    if (!(await this.subscribers.updateQuotaExhaustedUntil(id, until, this.clock.now()))) {
      throw AppError.notFound(`Subscriber ${id}`);
    }
  }

  /**
   * Throws SUBSCRIBER_INACTIVE for a suspended, offboarded or unverified subscriber (no vendor call may be
   * made; a provisioning item is skipped with that reason).
   */
  static refuseWhenHalted(subscriber: Pick<Subscriber, 'id' | 'status'>): void {
    if (HALTED_STATUSES.has(subscriber.status)) {
      throw new AppError(
        ErrorCode.SUBSCRIBER_INACTIVE,
        `Subscriber ${subscriber.id} is ${subscriber.status}; no iPaaS.com calls are made for it` +
          (HALTED_UNTIL[subscriber.status] ?? ''),
        { extensions: { subscriberStatus: subscriber.status } },
      );
    }
  }

  private async views(rows: SubscriberRow[]): Promise<SubscriberView[]> {
    const tags = await this.subscribers.tagsOf(rows.map((row) => row.entity.id));
    return rows.map((row) => ({
      ...toSubscriber(row.entity),
      tags: tags.get(row.entity.id) ?? [],
      credentialStatus: row.credentialStatus,
    }));
  }

  /** 409 CONFLICT naming the field when the company id or external reference belongs to a subscriber. */
  async refuseTaken(input: { ipaasCompanyId?: string; externalRef?: string | null }): Promise<void> {
    if (
      input.ipaasCompanyId !== undefined &&
      (await this.subscribers.findByCompanyId(input.ipaasCompanyId))
    ) {
      throw new AppError(
        ErrorCode.CONFLICT,
        `A subscriber with iPaaS.com company id ${input.ipaasCompanyId} exists`,
        { extensions: { field: 'ipaasCompanyId' } },
      );
    }
    if (
      input.externalRef !== undefined &&
      input.externalRef !== null &&
      (await this.subscribers.findByExternalRef(input.externalRef))
    ) {
      throw new AppError(
        ErrorCode.CONFLICT,
        `A subscriber with external reference ${input.externalRef} exists`,
        { extensions: { field: 'externalRef' } },
      );
    }
  }
}
