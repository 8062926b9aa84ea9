import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { Page, type PaginationQueryDto } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { IdGenerator } from '../subscribers/id-generator';
import { type ChainVerification, ChainVerifier } from './audit-chain';
import { csvLine } from '../common/csv/csv';
import { auditText, optionalAuditText, serializeDetails } from './audit-details';
import type { AuditEventEntity } from './audit-event.entity';
import { type AuditFilter, AuditRepository, type NewAuditRow } from './audit.repository';
import type { AuditActorKind, AuditEntry, AuditOutcome } from './audit.types';

/** An audit row as the API shows it. */
export interface AuditEventView {
  seq: number;
  id: string;
  at: Date;
  actorKind: AuditActorKind;
  actorId: string | null;
  actorLabel: string;
  action: string;
  subscriberId: string | null;
  target: string | null;
  requestId: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

interface QueuedRow {
  row: NewAuditRow;
  done: () => void;
}

/** Most rows one append transaction takes; more wait for the next one. */
const MAX_ROWS_PER_APPEND = 500;
/** Rows read per query by the export and the chain walk: memory stays bounded whatever the table size. */
const AUDIT_SCAN_PAGE_SIZE = 1000;

export const AUDIT_CSV_COLUMNS = [
  'seq',
  'id',
  'at',
  'actor_kind',
  'actor_id',
  'actor_label',
  'action',
  'subscriber_id',
  'target',
  'request_id',
  'outcome',
  'details',
  'prev_hash',
  'hash',
] as const;

/** Stored details are JSON objects written by this service; a row edited into anything else still lists. */
function parseDetails(text: string | null): Record<string, unknown> | null {
  if (text === null) {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch {
    return { unparsable: text };
  }
}

function toView(entity: AuditEventEntity): AuditEventView {
  return {
    seq: entity.seq,
    id: entity.id,
    at: entity.at,
    actorKind: entity.actorKind,
    actorId: entity.actorId,
    actorLabel: entity.actorLabel,
    action: entity.action,
    subscriberId: entity.subscriberId,
    target: entity.target,
    requestId: entity.requestId,
    outcome: entity.outcome,
    details: parseDetails(entity.details),
    prevHash: entity.prevHash,
    hash: entity.hash,
  };
}

function toCsvLine(entity: AuditEventEntity): string {
  return csvLine([
    entity.seq,
    entity.id,
    entity.at.toISOString(),
    entity.actorKind,
    entity.actorId,
    entity.actorLabel,
    entity.action,
    entity.subscriberId,
    entity.target,
    entity.requestId,
    entity.outcome,
    entity.details,
    entity.prevHash,
    entity.hash,
  ]);
}

/**
 * The append-only, hash-chained audit trail. `record` queues an entry; one appender at a time drains the whole
 * queue into a single transaction (group commit), so a burst of entries costs one transaction, not one each,
 * and the chain is extended by exactly one writer per process (the head-row lock covers other processes).
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private queue: QueuedRow[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly repository: AuditRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    @InjectPinoLogger(AuditService.name) private readonly logger: PinoLogger,
  ) {}

  /**
   * Appends an entry; resolves once it is committed. Never rejects: auditing must not break the business path
   * that calls it, so a failed append is logged as an error instead.
   */
  record(entry: AuditEntry): Promise<void> {
    let row: NewAuditRow;
    try {
      row = this.toRow(entry);
    } catch (error) {
      this.logger.error({ err: error, action: entry.action }, 'Could not prepare an audit entry');
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.queue.push({ row, done: resolve });
      this.startDraining();
    });
  }

  /** Resolves when every entry recorded so far is committed (or its failure logged). */
  async flush(): Promise<void> {
    while (this.draining !== undefined) {
      await this.draining;
    }
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  async list(filter: AuditFilter, query: PaginationQueryDto): Promise<Page<AuditEventView>> {
    const [items, total] = await this.repository.findPage(
      filter,
      (query.pageNumber - 1) * query.pageSize,
      query.pageSize,
    );
    return Page.of(items.map(toView), total, query);
  }

  /** CSV text, newest first: a header line, then one chunk per page of rows. */
  async *exportCsv(filter: AuditFilter): AsyncGenerator<string> {
    yield csvLine([...AUDIT_CSV_COLUMNS]);
    for await (const page of this.repository.pagesNewestFirst(filter, AUDIT_SCAN_PAGE_SIZE)) {
      yield page.map(toCsvLine).join('');
    }
  }

  /**
   * Walks the chain oldest first up to the head as it stood when the walk began (rows appended meanwhile are
   * not half-seen), then checks that no row lies beyond the head as it stands after the walk.
   */
  async verify(): Promise<ChainVerification> {
    const head = await this.repository.readHead();
    const verifier = new ChainVerifier();
    for await (const page of this.repository.chainPages(head?.lastSeq ?? null, AUDIT_SCAN_PAGE_SIZE)) {
      verifier.check(page);
    }
    if (head !== null) {
      const newestSeq = await this.repository.newestSeq();
      const headNow = await this.repository.readHead();
      if (newestSeq !== null && newestSeq > (headNow?.lastSeq ?? head.lastSeq)) {
        verifier.rowsBeyondHead(newestSeq);
      }
    }
    return verifier.finish(head);
  }

  private startDraining(): void {
    if (this.draining !== undefined) {
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // An entry queued between the last loop check and this callback must not wait for the next record().
      if (this.queue.length > 0) {
        this.startDraining();
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_ROWS_PER_APPEND);
      try {
        const { headRecreated } = await this.repository.append(batch.map((queued) => queued.row));
        if (headRecreated) {
          this.logger.error('The audit chain head row was missing; it was recreated from the newest row');
        }
      } catch (error) {
        this.logger.error(
          { err: error, lost: batch.length, actions: batch.map((queued) => queued.row.action) },
          'Could not append audit entries',
        );
      } finally {
        for (const queued of batch) {
          queued.done();
        }
      }
    }
  }

  private toRow(entry: AuditEntry): NewAuditRow {
    return {
      id: this.ids.newId(),
      atMs: this.clock.nowMs(),
      actorKind: entry.actor.kind,
      actorId: optionalAuditText(entry.actor.id, 64),
      actorLabel: auditText(entry.actor.label, 320),
      action: auditText(entry.action, 200),
      subscriberId: optionalAuditText(entry.subscriberId, 36),
      target: optionalAuditText(entry.target, 500),
      requestId: optionalAuditText(entry.requestId, 128),
      outcome: entry.outcome,
      details: serializeDetails(entry.details),
    };
  }
}
