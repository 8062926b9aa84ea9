import type { PinoLogger } from 'nestjs-pino';

import { OffsetClock } from '../common/time/clock';
import { IdGenerator } from '../subscribers/id-generator';
import {
  type ChainedAuditRow,
  type ChainHead,
  chainRows,
  ChainVerifier,
  EMPTY_CHAIN_HEAD,
} from './audit-chain';
import type { AuditRepository, NewAuditRow } from './audit.repository';
import { AuditService } from './audit.service';
import { type AuditEntry, SYSTEM_ACTOR } from './audit.types';

/** The repository's append contract in memory, with a slow "transaction" so entries pile up meanwhile. */
class InMemoryAuditRepository {
  rows: ChainedAuditRow[] = [];
  head: ChainHead = EMPTY_CHAIN_HEAD;
  batchSizes: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failNext = false;

  async append(rows: readonly NewAuditRow[]): Promise<{ head: ChainHead; headRecreated: boolean }> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight -= 1;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database is locked');
    }
    const chained = chainRows(this.head, rows);
    this.rows.push(...chained.rows);
    this.head = chained.head;
    this.batchSizes.push(rows.length);
    return { head: this.head, headRecreated: false };
  }
}

const entry = (action: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: SYSTEM_ACTOR,
  action,
  outcome: 'success',
  ...extra,
});

describe('AuditService.record', () => {
  let repository: InMemoryAuditRepository;
  let service: AuditService;
  let logged: { details: unknown; message: unknown }[];

  beforeEach(() => {
    repository = new InMemoryAuditRepository();
    logged = [];
    const logger = {
      error: (details: unknown, message?: unknown) => logged.push({ details, message }),
    } as unknown as PinoLogger;
    service = new AuditService(
      repository as unknown as AuditRepository,
      new OffsetClock(),
      new IdGenerator(),
      logger,
    );
  });

  it('appends 200 concurrent entries as one chain of consecutive seqs, in few group commits', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, index) => service.record(entry(`a.${index}`))));
    expect(repository.rows.map((row) => row.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(repository.rows.map((row) => row.action)).toEqual(Array.from({ length: 200 }, (_, i) => `a.${i}`));
    // One append at a time: the first takes the first entry, the next one everything queued meanwhile.
    expect(repository.maxInFlight).toBe(1);
    expect(repository.batchSizes).toEqual([1, 199]);
    const verifier = new ChainVerifier();
    verifier.check(repository.rows);
    expect(verifier.finish(repository.head).ok).toBe(true);
  });

  it('resolves (never rejects) when the append fails, logs it, and keeps appending afterwards', async () => {
    repository.failNext = true;
    await expect(service.record(entry('lost'))).resolves.toBeUndefined();
    expect(logged).toEqual([
      expect.objectContaining({ message: 'Could not append audit entries' }) as unknown,
    ]);
    await service.record(entry('kept'));
    expect(repository.rows.map((row) => [row.seq, row.action])).toEqual([[1, 'kept']]);
  });

  it('flush waits for everything recorded so far', async () => {
    for (let index = 0; index < 5; index += 1) {
      void service.record(entry(`bg.${index}`));
    }
    await service.flush();
    expect(repository.rows).toHaveLength(5);
  });

  it('stores redacted, bounded values with the clock time and a fresh id', async () => {
    await service.record(
      entry('x'.repeat(300), {
        actor: { kind: 'api_key', id: 'key-1', label: 'deploy\nscript' },
        subscriberId: 's-1',
        requestId: 'req-1',
        details: { token: 'secret-value', status: 401 },
      }),
    );
    const [row] = repository.rows;
    expect(row).toMatchObject({
      actorKind: 'api_key',
      actorId: 'key-1',
      actorLabel: 'deploy script',
      subscriberId: 's-1',
      requestId: 'req-1',
      target: null,
      details: '{"token":"[Redacted]","status":401}',
    });
    expect(row?.action).toHaveLength(200);
    expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs((row?.atMs ?? 0) - Date.now())).toBeLessThan(5000);
  });
});
