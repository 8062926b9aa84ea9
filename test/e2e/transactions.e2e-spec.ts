import { DataSource } from 'typeorm';

import { Transactions } from '../../src/database/transactions';
import { startTestApp, type TestApp } from '../utils/test-app';
import { describeOnSqlite } from '../utils/test-database';

/** The SQLite trap this runner exists for: one TypeORM connection shared by every request. */
describeOnSqlite(
  'Transactions on SQLite',
  'the shared-connection trap and its `?` placeholders exist on SQLite only; PostgreSQL has a pool',
)('Transactions on SQLite', () => {
  let t: TestApp;
  let main: DataSource;
  let transactions: Transactions;

  beforeAll(async () => {
    t = await startTestApp();
    main = t.app.get(DataSource);
    transactions = t.app.get(Transactions);
    await main.query('CREATE TABLE scratch (id INTEGER PRIMARY KEY, source TEXT NOT NULL)');
  });

  afterAll(() => t.close());

  beforeEach(() => main.query('DELETE FROM scratch'));

  it('a rolled-back transaction does not take statements of other callers with it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const failing = transactions.run(async (manager) => {
      await manager.query(`INSERT INTO scratch (id, source) VALUES (1, 'transaction')`);
      await gate;
      throw new Error('roll back');
    });
    // Meanwhile another request writes on the main connection.
    const outside = main.query(`INSERT INTO scratch (id, source) VALUES (2, 'outside')`);
    setTimeout(release, 50);
    await expect(failing).rejects.toThrow('roll back');
    await outside;
    const rows = await main.query<{ source: string }[]>('SELECT source FROM scratch ORDER BY id');
    expect(rows.map((row) => row.source)).toEqual(['outside']);
  });

  it('runs many concurrent transactions without "transaction within a transaction" errors', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        transactions.run(async (manager) => {
          await manager.query(`INSERT INTO scratch (id, source) VALUES (?, 'tx')`, [index + 1]);
          await manager.query(`UPDATE scratch SET source = 'tx-done' WHERE id = ?`, [index + 1]);
        }),
      ),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const rows = await main.query<{ n: number }[]>(
      `SELECT COUNT(*) AS n FROM scratch WHERE source = 'tx-done'`,
    );
    expect(Number(rows[0]?.n)).toBe(20);
  });

  it('keeps every acknowledged write made beside a stream of transactions, and fails none', async () => {
    // What the fleet does under load: transactions (audit group commits, ledger claims) back to back, long
    // reads, and 32 requests upserting rows and reading them back. Each write that resolved must be visible at
    // once and at the end, and no statement or transaction may fail with SQLITE_BUSY.
    let stop = false;
    let transactionsRun = 0;
    const transactionLoop = (async () => {
      while (!stop) {
        transactionsRun += 1;
        await transactions.run(async (manager) => {
          await manager.query('SELECT COUNT(*) FROM scratch');
          await manager.query(`INSERT INTO scratch (id, source) VALUES (?, 'tx')`, [
            100000 + transactionsRun,
          ]);
          await new Promise((resolve) => setTimeout(resolve, 2));
        });
      }
    })();
    const readerLoop = (async () => {
      while (!stop) {
        await main.query('SELECT a.id FROM scratch a, scratch b WHERE a.id < 50 AND b.id < 50');
      }
    })();
    const invisible: number[] = [];
    let next = 1;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let id = next++; id <= 3000; id = next++) {
          await main.query(
            `INSERT INTO scratch (id, source) VALUES (?, 'outside')
             ON CONFLICT (id) DO UPDATE SET source = excluded.source`,
            [id],
          );
          if ((await main.query<unknown[]>('SELECT id FROM scratch WHERE id = ?', [id])).length !== 1) {
            invisible.push(id);
          }
        }
      }),
    );
    stop = true;
    await Promise.all([transactionLoop, readerLoop]);
    expect(invisible).toEqual([]);
    expect(transactionsRun).toBeGreaterThan(10);
    const [outside] = await main.query<{ n: number }[]>(
      `SELECT COUNT(*) AS n FROM scratch WHERE source = 'outside'`,
    );
    expect(Number(outside?.n)).toBe(3000);
  });

  it('refuses a transaction opened beside Transactions.run (it would capture other requests)', async () => {
    await expect(main.query('BEGIN TRANSACTION')).rejects.toThrow('Transactions.run');
    // The connection is still in autocommit mode: a plain write is visible at once.
    await main.query(`INSERT INTO scratch (id, source) VALUES (1, 'outside')`);
    expect(await main.query('SELECT id FROM scratch')).toHaveLength(1);
  });

  it('a transaction started inside a transaction joins it', async () => {
    await expect(
      transactions.run(async (manager) => {
        await manager.query(`INSERT INTO scratch (id, source) VALUES (1, 'outer')`);
        await transactions.run((inner) =>
          inner.query(`INSERT INTO scratch (id, source) VALUES (2, 'inner')`),
        );
        throw new Error('roll back both');
      }),
    ).rejects.toThrow('roll back both');
    expect(await main.query('SELECT id FROM scratch')).toEqual([]);
  });
});
