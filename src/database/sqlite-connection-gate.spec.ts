import type { QueryRunner } from 'typeorm';

import { SqliteConnectionGate } from './sqlite-connection-gate';

/** A query runner whose statements finish only when the test says so; it records start order. */
function controllableRunner() {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  const runner = {
    query: (sql: string) =>
      new Promise<string>((resolve) => {
        started.push(sql);
        pending.set(sql, () => resolve(sql));
      }),
  } as unknown as QueryRunner;
  const finish = (sql: string) => {
    const done = pending.get(sql);
    if (done === undefined) {
      throw new Error(`${sql} has not started`);
    }
    pending.delete(sql);
    done();
  };
  return { runner, started, finish };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SqliteConnectionGate', () => {
  let gate: SqliteConnectionGate;
  let db: ReturnType<typeof controllableRunner>;

  beforeEach(() => {
    gate = new SqliteConnectionGate();
    db = controllableRunner();
    gate.install(db.runner);
  });

  it('runs statements outside a transaction side by side', async () => {
    const results = Promise.all([db.runner.query('SELECT 1'), db.runner.query('SELECT 2')]);
    await settle();
    expect(db.started).toEqual(['SELECT 1', 'SELECT 2']);
    db.finish('SELECT 2');
    db.finish('SELECT 1');
    await expect(results).resolves.toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('starts a transaction after the statements in flight; later statements wait for its end', async () => {
    const before = db.runner.query('SELECT before');
    const transaction = gate.exclusive(async () => {
      await db.runner.query('BEGIN');
      expect(gate.inTransaction).toBe(true);
      return 'committed';
    });
    const after = db.runner.query('SELECT after');
    await settle();
    expect(db.started).toEqual(['SELECT before']);

    db.finish('SELECT before');
    await before;
    await settle();
    // The transaction's own statement passes the gate; the later statement still waits.
    expect(db.started).toEqual(['SELECT before', 'BEGIN']);
    db.finish('BEGIN');
    await expect(transaction).resolves.toBe('committed');
    await settle();
    expect(db.started).toEqual(['SELECT before', 'BEGIN', 'SELECT after']);
    db.finish('SELECT after');
    await after;
    expect(gate.inTransaction).toBe(false);
  });

  it('serves waiters in arrival order, so statements queued before a transaction are not overtaken', async () => {
    const order: string[] = [];
    const first = gate.exclusive(async () => {
      await db.runner.query('first tx');
      order.push('first tx');
    });
    const statement = db.runner.query('SELECT queued').then(() => order.push('SELECT queued'));
    const second = gate.exclusive(async () => {
      await db.runner.query('second tx');
      order.push('second tx');
    });
    await settle();
    db.finish('first tx');
    await first;
    await settle();
    db.finish('SELECT queued');
    await statement;
    await settle();
    db.finish('second tx');
    await second;
    expect(order).toEqual(['first tx', 'SELECT queued', 'second tx']);
  });

  it('releases the connection when the transaction fails', async () => {
    await expect(
      gate.exclusive(() => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    const statement = db.runner.query('SELECT next');
    await settle();
    db.finish('SELECT next');
    await expect(statement).resolves.toBe('SELECT next');
  });

  it('refuses BEGIN or SAVEPOINT outside a transaction it granted', async () => {
    await expect(db.runner.query('BEGIN TRANSACTION')).rejects.toThrow('Transactions.run');
    await expect(db.runner.query('  savepoint typeorm_1')).rejects.toThrow('Transactions.run');
    expect(db.started).toEqual([]);
  });

  it('treats a statement from a finished transaction’s leftover async work as an outsider', async () => {
    let leftover!: () => Promise<unknown>;
    await gate.exclusive(() => {
      leftover = () => db.runner.query('SELECT late');
      return Promise.resolve();
    });
    const holding = gate.exclusive(() => db.runner.query('other tx'));
    await settle();
    const late = leftover();
    await settle();
    expect(db.started).toEqual(['other tx']);
    db.finish('other tx');
    await holding;
    await settle();
    db.finish('SELECT late');
    await expect(late).resolves.toBe('SELECT late');
  });
});
