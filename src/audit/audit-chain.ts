import { createHash } from 'node:crypto';

/** `prev_hash` of the first row: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

// Part of every hashed encoding, so a future change of the field list is a new format, not a silent mismatch.
const HASH_FORMAT = 'tenantry-audit-v1';

/** An audit row as the chain sees it: every stored column, `details` as the exact stored JSON text. */
export interface ChainedAuditRow {
  seq: number;
  id: string;
  atMs: number;
  actorKind: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  subscriberId: string | null;
  target: string | null;
  requestId: string | null;
  outcome: string;
  details: string | null;
  prevHash: string;
  hash: string;
}

export type UnhashedAuditRow = Omit<ChainedAuditRow, 'hash'>;

/**
 * sha256 (hex) over a canonical encoding of every column but `hash` itself. The encoding is a JSON array in a
 * fixed order: values are only strings, integers and null, so it is deterministic, and quoting makes it
 * unambiguous (no value can forge a field boundary, as plain concatenation would allow).
 */
export function auditRowHash(row: UnhashedAuditRow): string {
  const canonical = JSON.stringify([
    HASH_FORMAT,
    row.prevHash,
    row.seq,
    row.id,
    row.atMs,
    row.actorKind,
    row.actorId,
    row.actorLabel,
    row.action,
    row.subscriberId,
    row.target,
    row.requestId,
    row.outcome,
    row.details,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Links rows after the chain's head: consecutive seqs, each holding the hash of the one before. */
export function chainRows(
  head: ChainHead,
  rows: readonly Omit<UnhashedAuditRow, 'seq' | 'prevHash'>[],
): { rows: ChainedAuditRow[]; head: ChainHead } {
  let { lastSeq, lastHash } = head;
  const chained = rows.map((row) => {
    const unhashed: UnhashedAuditRow = { ...row, seq: lastSeq + 1, prevHash: lastHash };
    const hash = auditRowHash(unhashed);
    lastSeq = unhashed.seq;
    lastHash = hash;
    return { ...unhashed, hash };
  });
  return { rows: chained, head: { lastSeq, lastHash } };
}

/** The newest link, kept in its own row so that deleting the newest audit rows is detected too. */
export interface ChainHead {
  lastSeq: number;
  lastHash: string;
}

export const EMPTY_CHAIN_HEAD: ChainHead = { lastSeq: 0, lastHash: GENESIS_HASH };

export type ChainProblemReason = 'hash_mismatch' | 'chain_break' | 'missing_rows' | 'head_mismatch';

export interface ChainProblem {
  seq: number;
  reason: ChainProblemReason;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  lastSeq: number;
  problems: ChainProblem[];
}

/** Reports at most this many problems: a wholesale rewrite must not make the verification answer huge. */
export const MAX_REPORTED_PROBLEMS = 1000;

/**
 * Walks the chain page by page (rows in ascending seq), keeping only the previous link, so a million rows
 * verify in bounded memory. An edited row fails its own hash; a deleted row leaves a gap in the seqs and a
 * `prev_hash` that no longer matches; deleted newest rows leave the head pointing past the end.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  private checked = 0;
  private readonly problems: ChainProblem[] = [];

  check(rows: readonly ChainedAuditRow[]): void {
    for (const row of rows) {
      if (row.seq !== this.expectedSeq) {
        this.report(this.expectedSeq, 'missing_rows');
      }
      if (row.prevHash !== this.previousHash) {
        this.report(row.seq, 'chain_break');
      }
      if (auditRowHash(row) !== row.hash) {
        this.report(row.seq, 'hash_mismatch');
      }
      this.previousHash = row.hash;
      this.expectedSeq = row.seq + 1;
      this.checked += 1;
    }
  }

  /** Rows were found after the newest link the head records (appended around the chain). */
  rowsBeyondHead(firstSeq: number): void {
    this.report(firstSeq, 'head_mismatch');
  }

  /** Compares the end of the walk with the head read before it (null: the head row is gone). */
  finish(head: ChainHead | null): ChainVerification {
    const lastSeq = this.expectedSeq - 1;
    if (head === null) {
      this.report(lastSeq, 'head_mismatch');
    } else if (head.lastSeq !== lastSeq || head.lastHash !== this.previousHash) {
      this.report(head.lastSeq, 'head_mismatch');
    }
    return { ok: this.problems.length === 0, checked: this.checked, lastSeq, problems: this.problems };
  }

  private report(seq: number, reason: ChainProblemReason): void {
    if (this.problems.length < MAX_REPORTED_PROBLEMS) {
      this.problems.push({ seq, reason });
    }
  }
}
