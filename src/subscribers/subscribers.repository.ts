import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository, type SelectQueryBuilder } from 'typeorm';

import { isUniqueViolation } from '../database/unique-violation';
import { type HealthStatus, SubscriberEntity, type SubscriberStatus } from './subscriber.entity';
import { SubscriberTagEntity } from './subscriber-tag.entity';

/** Derived from the company's credential row: none, stored (never checked), verified, invalid. */
export const CREDENTIAL_STATES = ['none', 'stored', 'verified', 'invalid'] as const;
export type CredentialState = (typeof CREDENTIAL_STATES)[number];

export const SUBSCRIBER_SORTS = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', 'status'] as const;
export type SubscriberSort = (typeof SUBSCRIBER_SORTS)[number];

export interface SubscriberFilter {
  status?: SubscriberStatus;
  tag?: string;
  health?: HealthStatus;
  credential?: CredentialState;
  /** Case-insensitive substring of the name, company id or external reference. */
  q?: string;
}

export interface SubscriberRow {
  entity: SubscriberEntity;
  credentialStatus: CredentialState;
}

/** The columns a patch may set (everything but the key and created_at). */
export type SubscriberPatch = Partial<Omit<SubscriberEntity, 'id' | 'ipaasCompanyId' | 'createdAt'>>;

// The credential row is joined by table name so this module does not depend on the credentials module.
const CREDENTIAL_STATE_SQL = `CASE WHEN c.subscriber_id IS NULL THEN 'none' WHEN c.status = 'invalid' THEN 'invalid' WHEN c.last_verified_at IS NULL THEN 'stored' ELSE 'verified' END`;
const CREDENTIAL_CONDITIONS: Record<CredentialState, string> = {
  none: 'c.subscriber_id IS NULL',
  invalid: "c.status = 'invalid'",
  stored: "c.status = 'valid' AND c.last_verified_at IS NULL",
  verified: "c.status = 'valid' AND c.last_verified_at IS NOT NULL",
};
const SORT_COLUMNS: Record<SubscriberSort, [string, 'ASC' | 'DESC']> = {
  name: ['sort_key', 'ASC'],
  '-name': ['sort_key', 'DESC'],
  createdAt: ['s.createdAt', 'ASC'],
  '-createdAt': ['s.createdAt', 'DESC'],
  updatedAt: ['s.updatedAt', 'ASC'],
  status: ['s.status', 'ASC'],
};
// Rows per INSERT statement: well under SQLite's bound-parameter limit for a 16-column table.
const INSERT_CHUNK = 50;

/** `%`, `_` and the escape character itself match literally in a LIKE pattern escaped with `!`. */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (character) => `!${character}`)}%`;
}

@Injectable()
export class SubscribersRepository {
  constructor(
    @InjectRepository(SubscriberEntity) private readonly subscribers: Repository<SubscriberEntity>,
    @InjectRepository(SubscriberTagEntity) private readonly tags: Repository<SubscriberTagEntity>,
  ) {}

  findById(id: string): Promise<SubscriberEntity | null> {
    return this.subscribers.findOneBy({ id });
  }

  findByIds(ids: readonly string[]): Promise<SubscriberEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.subscribers.findBy({ id: In([...ids]) });
  }

  findByCompanyId(ipaasCompanyId: string): Promise<SubscriberEntity | null> {
    return this.subscribers.findOneBy({ ipaasCompanyId });
  }

  findByExternalRef(externalRef: string): Promise<SubscriberEntity | null> {
    return this.subscribers.findOneBy({ externalRef });
  }

  findAll(): Promise<SubscriberEntity[]> {
    return this.subscribers.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** One subscriber with its derived credential status, or null. */
  async findRow(id: string): Promise<SubscriberRow | null> {
    const [row] = await this.rows(this.query().where('s.id = :id', { id }));
    return row ?? null;
  }

  async findPage(
    filter: SubscriberFilter,
    sort: SubscriberSort,
    offset: number,
    limit: number,
  ): Promise<[SubscriberRow[], number]> {
    const query = this.query();
    this.applyFilter(query, filter);
    const total = await query.getCount();
    const [column, direction] = SORT_COLUMNS[sort];
    query.orderBy(column, direction).addOrderBy('s.id', 'ASC').offset(offset).limit(limit);
    return [await this.rows(query), total];
  }

  /** Tags of each subscriber, sorted. */
  async tagsOf(subscriberIds: string[]): Promise<Map<string, string[]>> {
    const byId = new Map<string, string[]>(subscriberIds.map((id) => [id, []]));
    if (subscriberIds.length === 0) {
      return byId;
    }
    const rows = await this.tags.find({
      where: { subscriberId: In(subscriberIds) },
      order: { tag: 'ASC' },
    });
    for (const row of rows) {
      byId.get(row.subscriberId)?.push(row.tag);
    }
    return byId;
  }

  /** False when a unique column (company id, external reference) is taken, also by a concurrent insert. */
  // No transactions here: each write below is idempotent on its own, so none is needed (and on SQLite none
  // takes the one connection away from concurrent requests; see database/sqlite-connection-gate.ts).

  async insert(subscriber: SubscriberEntity, tags: readonly string[]): Promise<boolean> {
    if (!(await this.uniqueOrFalse(() => this.subscribers.insert(subscriber)))) {
      return false;
    }
    await this.addTags(subscriber.id, tags);
    return true;
  }

  /** Applies the patch (and, when given, replaces the tags); false when a unique column is taken. */
  async update(id: string, patch: SubscriberPatch, tags?: readonly string[]): Promise<boolean> {
    if (!(await this.uniqueOrFalse(() => this.subscribers.update({ id }, patch)))) {
      return false;
    }
    if (tags !== undefined) {
      // Remove what is no longer wanted, add what is missing: concurrent replacements cannot collide.
      const stale = this.tags.createQueryBuilder().delete().where('subscriber_id = :id', { id });
      if (tags.length > 0) {
        stale.andWhere('tag NOT IN (:...tags)', { tags });
      }
      await stale.execute();
      await this.addTags(id, tags);
    }
    return true;
  }

  /** Compare-and-set on the status: false when the row is gone or no longer in one of `from`. */
  async updateIfStatus(
    id: string,
    from: readonly SubscriberStatus[],
    patch: SubscriberPatch,
  ): Promise<boolean> {
    const result = await this.subscribers.update({ id, status: In([...from]) }, patch);
    return (result.affected ?? 0) > 0;
  }

  async deleteIfStatus(id: string, status: SubscriberStatus): Promise<boolean> {
    const result = await this.subscribers.delete({ id, status });
    return (result.affected ?? 0) > 0;
  }

  /**
   * A sync's writes. Not atomic (see above), but convergent: after a failure half-way the next sync finds
   * what is left to do. A company registered concurrently by hand keeps its row (the insert is skipped).
   */
  async applySync(
    inserts: readonly SubscriberEntity[],
    updates: readonly { id: string; previousStatus: SubscriberStatus; patch: SubscriberPatch }[],
  ): Promise<Set<string>> {
    for (let start = 0; start < inserts.length; start += INSERT_CHUNK) {
      await this.subscribers
        .createQueryBuilder()
        .insert()
        .values(inserts.slice(start, start + INSERT_CHUNK))
        .orIgnore()
        .execute();
    }
    const changed = new Set<string>();
    for (const { id, previousStatus, patch } of updates) {
      if (await this.updateIfStatus(id, [previousStatus], patch)) {
        changed.add(id);
      }
    }
    return changed;
  }

  async updateQuotaExhaustedUntil(id: string, until: Date | null, updatedAt: Date): Promise<boolean> {
    const result = await this.subscribers.update({ id }, { quotaExhaustedUntil: until, updatedAt });
    return (result.affected ?? 0) > 0;
  }

  private query(): SelectQueryBuilder<SubscriberEntity> {
    return this.subscribers
      .createQueryBuilder('s')
      .leftJoin('company_credentials', 'c', 'c.subscriber_id = s.id')
      .addSelect(CREDENTIAL_STATE_SQL, 'credential_status')
      .addSelect('LOWER(s.name)', 'sort_key');
  }

  private applyFilter(query: SelectQueryBuilder<SubscriberEntity>, filter: SubscriberFilter): void {
    if (filter.status !== undefined) {
      query.andWhere('s.status = :status', { status: filter.status });
    }
    if (filter.health !== undefined) {
      query.andWhere('s.health_status = :health', { health: filter.health });
    }
    if (filter.credential !== undefined) {
      query.andWhere(`(${CREDENTIAL_CONDITIONS[filter.credential]})`);
    }
    if (filter.tag !== undefined) {
      query.andWhere(
        'EXISTS (SELECT 1 FROM subscriber_tags t WHERE t.subscriber_id = s.id AND t.tag = :tag)',
        { tag: filter.tag },
      );
    }
    if (filter.q !== undefined) {
      query.andWhere(
        "(LOWER(s.name) LIKE :q ESCAPE '!' OR LOWER(s.ipaas_company_id) LIKE :q ESCAPE '!' OR " +
          "LOWER(s.external_ref) LIKE :q ESCAPE '!')",
        { q: likeContains(filter.q) },
      );
    }
  }

  private async rows(query: SelectQueryBuilder<SubscriberEntity>): Promise<SubscriberRow[]> {
    const { entities, raw } = await query.getRawAndEntities<{
      s_id: string;
      credential_status: CredentialState;
    }>();
    const states = new Map(raw.map((row) => [row.s_id, row.credential_status]));
    return entities.map((entity) => ({ entity, credentialStatus: states.get(entity.id) ?? 'none' }));
  }

  private async addTags(subscriberId: string, tags: readonly string[]): Promise<void> {
    if (tags.length > 0) {
      await this.tags
        .createQueryBuilder()
        .insert()
        .values(tags.map((tag) => ({ subscriberId, tag })))
        .orIgnore()
        .execute();
    }
  }

  private async uniqueOrFalse(work: () => Promise<unknown>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }
}
