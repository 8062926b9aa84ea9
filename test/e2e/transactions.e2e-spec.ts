import { DataSource } from 'typeorm';

import { Transactions } from '../../src/database/transactions';
import { startTestApp, type TestApp } from '../utils/test-app';

/** The SQLite trap this runner exists for: one TypeORM connection shared by every request. */
describe('Transactions on SQLite', () => {
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
});
