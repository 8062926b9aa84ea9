import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';

import { Transactions } from '../database/transactions';
import { AUDIT_CHAIN_HEAD_ID, AuditChainHeadEntity } from './audit-chain-head.entity';
import {
  type ChainedAuditRow,
  type ChainHead,
  chainRows,
  EMPTY_CHAIN_HEAD,
  type UnhashedAuditRow,
} from './audit-chain';
import { AuditEventEntity } from './audit-event.entity';
import type { AuditActorKind, AuditOutcome } from './audit.types';

/** What GET /v1/audit and the export filter on; every field optional. */
export interface AuditFilter {
  actorKind?: AuditActorKind;
  actorId?: string;
  /** Exact action, or a prefix when `actionIsPrefix`. */
  action?: string;
  actionIsPrefix?: boolean;
  subscriberId?: string;
  from?: Date;
  to?: Date;
}

export type NewAuditRow = Omit<UnhashedAuditRow, 'seq' | 'prevHash'>;

// 14 bound parameters per row: 50 rows stay well under SQLite's limit of variables per statement.
const INSERT_CHUNK = 50;

function toEntity(row: ChainedAuditRow): AuditEventEntity {
  return {
    seq: row.seq,
    id: row.id,
    at: new Date(row.atMs),
    actorKind: row.actorKind as AuditActorKind,
    actorId: row.actorId,
    actorLabel: row.actorLabel,
    action: row.action,
    subscriberId: row.subscriberId,
    target: row.target,
    requestId: row.requestId,
    outcome: row.outcome as AuditOutcome,
    details: row.details,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

function toChainedRow(entity: AuditEventEntity): ChainedAuditRow {
  return { ...entity, atMs: entity.at.getTime() };
}

/** The audit tables. Appends only: there is deliberately no update or delete of an audit row here. */
@Injectable()
export class AuditRepository {
  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    @InjectRepository(AuditChainHeadEntity) private readonly heads: Repository<AuditChainHeadEntity>,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Appends rows in one transaction: lock the head, link the rows after it, insert them, advance the head.
   * On PostgreSQL the head row is read `FOR UPDATE`, so appenders in several instances sharing the database
   * queue on that lock and still build one chain. SQLite has no row locks and needs none: it allows one writer
   * at a time (and the embedded database serves a single instance).
   */
  async append(rows: readonly NewAuditRow[]): Promise<{ head: ChainHead; headRecreated: boolean }> {
    return this.transactions.run(async (manager) => {
      const locked = await this.lockHead(manager);
      const head = locked ?? (await this.recreateHead(manager));
      const chained = chainRows(head, rows);
      for (let start = 0; start < chained.rows.length; start += INSERT_CHUNK) {
        await manager.insert(AuditEventEntity, chained.rows.slice(start, start + INSERT_CHUNK).map(toEntity));
      }
      await manager.update(AuditChainHeadEntity, { id: AUDIT_CHAIN_HEAD_ID }, chained.head);
      return { head: chained.head, headRecreated: locked === null };
    });
  }

  async readHead(): Promise<ChainHead | null> {
    const head = await this.heads.findOneBy({ id: AUDIT_CHAIN_HEAD_ID });
    return head === null ? null : { lastSeq: head.lastSeq, lastHash: head.lastHash };
  }

  async newestSeq(): Promise<number | null> {
    const row = await this.events
      .createQueryBuilder('e')
      .select('MAX(e.seq)', 'seq')
      .getRawOne<{ seq: number | string | null }>();
    return row?.seq === null || row?.seq === undefined ? null : Number(row.seq);
  }

  /** Newest first. */
  findPage(filter: AuditFilter, offset: number, limit: number): Promise<[AuditEventEntity[], number]> {
    return this.filtered(filter).orderBy('e.seq', 'DESC').skip(offset).take(limit).getManyAndCount();
  }

  /** Newest first, page after page by seq (keyset), so an export of any size holds one page in memory. */
  async *pagesNewestFirst(filter: AuditFilter, pageSize: number): AsyncGenerator<AuditEventEntity[]> {
    let before: number | undefined;
    for (;;) {
      const query = this.filtered(filter).orderBy('e.seq', 'DESC').limit(pageSize);
      if (before !== undefined) {
        query.andWhere('e.seq < :before', { before });
      }
      const page = await query.getMany();
      if (page.length === 0) {
        return;
      }
      yield page;
      before = page[page.length - 1]?.seq;
    }
  }

  /** Oldest first up to `lastSeq` (all rows when null), page after page by seq, for the chain walk. */
  async *chainPages(lastSeq: number | null, pageSize: number): AsyncGenerator<ChainedAuditRow[]> {
    let after = 0;
    for (;;) {
      const query = this.events
        .createQueryBuilder('e')
        .where('e.seq > :after', { after })
        .orderBy('e.seq', 'ASC')
        .limit(pageSize);
      if (lastSeq !== null) {
        query.andWhere('e.seq <= :lastSeq', { lastSeq });
      }
      const page = await query.getMany();
      if (page.length === 0) {
        return;
      }
      yield page.map(toChainedRow);
      after = page[page.length - 1]?.seq ?? after;
    }
  }

  private lockHead(manager: EntityManager): Promise<AuditChainHeadEntity | null> {
    const query = manager
      .getRepository(AuditChainHeadEntity)
      .createQueryBuilder('h')
      .where('h.id = :id', { id: AUDIT_CHAIN_HEAD_ID });
    if (manager.connection.options.type === 'postgres') {
      query.setLock('pessimistic_write');
    }
    return query.getOne();
  }

  /**
   * The migration creates the head; if someone deleted it, appending continues from the newest row rather than
   * dropping audit entries (the caller logs it; verification reports the deleted head until then).
   */
  private async recreateHead(manager: EntityManager): Promise<ChainHead> {
    const newest = await manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .orderBy('e.seq', 'DESC')
      .getOne();
    const head = newest === null ? EMPTY_CHAIN_HEAD : { lastSeq: newest.seq, lastHash: newest.hash };
    await manager.insert(AuditChainHeadEntity, { id: AUDIT_CHAIN_HEAD_ID, ...head });
    return head;
  }

  private filtered(filter: AuditFilter): SelectQueryBuilder<AuditEventEntity> {
    const query = this.events.createQueryBuilder('e');
    if (filter.actorKind !== undefined) {
      query.andWhere('e.actorKind = :actorKind', { actorKind: filter.actorKind });
    }
    if (filter.actorId !== undefined) {
      query.andWhere('e.actorId = :actorId', { actorId: filter.actorId });
    }
    if (filter.action !== undefined) {
      if (filter.actionIsPrefix) {
        // substr rather than LIKE: the same case-sensitive meaning on SQLite and PostgreSQL, no wildcard escaping.
        query.andWhere('substr(e.action, 1, :prefixLength) = :action', {
          action: filter.action,
          prefixLength: filter.action.length,
        });
      } else {
        query.andWhere('e.action = :action', { action: filter.action });
      }
    }
    if (filter.subscriberId !== undefined) {
      query.andWhere('e.subscriberId = :subscriberId', { subscriberId: filter.subscriberId });
    }
    if (filter.from !== undefined) {
      query.andWhere('e.at >= :from', { from: filter.from.getTime() });
    }
    if (filter.to !== undefined) {
      query.andWhere('e.at <= :to', { to: filter.to.getTime() });
    }
    return query;
  }
}
