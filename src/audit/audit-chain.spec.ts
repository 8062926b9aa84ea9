import fc from 'fast-check';

import {
  auditRowHash,
  type ChainedAuditRow,
  type ChainHead,
  chainRows,
  ChainVerifier,
  EMPTY_CHAIN_HEAD,
  GENESIS_HASH,
  MAX_REPORTED_PROBLEMS,
} from './audit-chain';

function newRow(index: number): Omit<ChainedAuditRow, 'seq' | 'prevHash' | 'hash'> {
  return {
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    atMs: 1_750_000_000_000 + index,
    actorKind: 'api_key',
    actorId: 'key-1',
    actorLabel: 'deploy script',
    action: 'subscriber.approve',
    subscriberId: 'sub-1',
    target: null,
    requestId: `req-${index}`,
    outcome: 'success',
    details: '{"status":200}',
  };
}

function buildChain(count: number): { rows: ChainedAuditRow[]; head: ChainHead } {
  return chainRows(
    EMPTY_CHAIN_HEAD,
    Array.from({ length: count }, (_, index) => newRow(index + 1)),
  );
}

function verify(rows: ChainedAuditRow[], head: ChainHead | null, pageSize = 3) {
  const verifier = new ChainVerifier();
  for (let start = 0; start < rows.length; start += pageSize) {
    verifier.check(rows.slice(start, start + pageSize));
  }
  return verifier.finish(head);
}

const EDITS: [keyof ChainedAuditRow, unknown][] = [
  ['id', '00000000-0000-4000-8000-999999999999'],
  ['atMs', 1],
  ['actorKind', 'staff'],
  ['actorId', 'key-2'],
  ['actorLabel', 'someone else'],
  ['action', 'subscriber.deny'],
  ['subscriberId', 'sub-2'],
  ['target', 'id=x'],
  ['requestId', 'req-forged'],
  ['outcome', 'failure'],
  ['details', '{"status":500}'],
];

describe('audit chain', () => {
  it('links rows after the head with consecutive seqs, each holding the hash of the one before', () => {
    const first = buildChain(2);
    expect(first.rows.map((row) => row.seq)).toEqual([1, 2]);
    expect(first.rows[0]?.prevHash).toBe(GENESIS_HASH);
    expect(first.rows[1]?.prevHash).toBe(first.rows[0]?.hash);
    expect(first.head).toEqual({ lastSeq: 2, lastHash: first.rows[1]?.hash });
    expect(first.rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);

    const next = chainRows(first.head, [newRow(3)]);
    expect(next.rows[0]).toMatchObject({ seq: 3, prevHash: first.head.lastHash });
  });

  it('verifies an untouched chain, page by page', () => {
    const { rows, head } = buildChain(10);
    expect(verify(rows, head)).toEqual({ ok: true, checked: 10, lastSeq: 10, problems: [] });
    expect(verify([], EMPTY_CHAIN_HEAD)).toEqual({ ok: true, checked: 0, lastSeq: 0, problems: [] });
  });

  it.each(EDITS)(
    'reports a hash mismatch at the row whose %s was edited, and nothing else',
    (field, value) => {
      const { rows, head } = buildChain(5);
      const edited = rows.map((row) => (row.seq === 3 ? { ...row, [field]: value } : row));
      expect(verify(edited, head)).toMatchObject({
        ok: false,
        problems: [{ seq: 3, reason: 'hash_mismatch' }],
      });
    },
  );

  it('cannot be fooled by moving characters across a field boundary', () => {
    const base = { ...newRow(1), seq: 1, prevHash: GENESIS_HASH };
    expect(auditRowHash({ ...base, action: 'ab', target: 'c' })).not.toBe(
      auditRowHash({ ...base, action: 'a', target: 'bc' }),
    );
    expect(auditRowHash({ ...base, target: null })).not.toBe(auditRowHash({ ...base, target: 'null' }));
  });

  it('reports a re-hashed edit as a chain break at the next row', () => {
    const { rows, head } = buildChain(5);
    const forged = { ...rows[2], action: 'forged' };
    forged.hash = auditRowHash(forged);
    const edited = rows.map((row) => (row.seq === 3 ? forged : row));
    expect(verify(edited, head).problems).toEqual([{ seq: 4, reason: 'chain_break' }]);
  });

  it('reports a deleted middle row as missing rows and a chain break', () => {
    const { rows, head } = buildChain(6);
    const remaining = rows.filter((row) => row.seq !== 4);
    expect(verify(remaining, head).problems).toEqual([
      { seq: 4, reason: 'missing_rows' },
      { seq: 5, reason: 'chain_break' },
    ]);
  });

  it('reports deleted first rows', () => {
    const { rows, head } = buildChain(4);
    expect(verify(rows.slice(2), head).problems).toEqual([
      { seq: 1, reason: 'missing_rows' },
      { seq: 3, reason: 'chain_break' },
    ]);
  });

  it('reports deleted newest rows as a head mismatch', () => {
    const { rows, head } = buildChain(6);
    expect(verify(rows.slice(0, 4), head)).toEqual({
      ok: false,
      checked: 4,
      lastSeq: 4,
      problems: [{ seq: 6, reason: 'head_mismatch' }],
    });
  });

  it('reports a deleted head row, and rows found beyond the head', () => {
    const { rows, head } = buildChain(3);
    expect(verify(rows, null).problems).toEqual([{ seq: 3, reason: 'head_mismatch' }]);

    const verifier = new ChainVerifier();
    verifier.check(rows);
    verifier.rowsBeyondHead(4);
    expect(verifier.finish(head).problems).toEqual([{ seq: 4, reason: 'head_mismatch' }]);
  });

  it('caps the number of reported problems', () => {
    const { rows, head } = buildChain(MAX_REPORTED_PROBLEMS + 10);
    const rewritten = rows.map((row) => ({ ...row, outcome: 'failure' }));
    const result = verify(rewritten, head, 500);
    expect(result.ok).toBe(false);
    expect(result.checked).toBe(MAX_REPORTED_PROBLEMS + 10);
    expect(result.problems).toHaveLength(MAX_REPORTED_PROBLEMS);
  });

  it('finds any single edit or deletion, whatever the page size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.nat(),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        (count, pick, pageSize, remove) => {
          const { rows, head } = buildChain(count);
          const seq = (pick % count) + 1;
          const tampered = remove
            ? rows.filter((row) => row.seq !== seq)
            : rows.map((row) => (row.seq === seq ? { ...row, actorLabel: `${row.actorLabel}!` } : row));
          const result = verify(tampered, head, pageSize);
          expect(result.ok).toBe(false);
          expect(result.problems.every((problem) => problem.seq >= seq)).toBe(true);
        },
      ),
    );
  });
});
