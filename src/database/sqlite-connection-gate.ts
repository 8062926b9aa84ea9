import { AsyncLocalStorage } from 'node:async_hooks';

import type { QueryRunner } from 'typeorm';

/** Identifies one transaction; statements issued in its async context belong to it. */
interface TransactionTicket {
  readonly id: number;
}

interface Waiter {
  exclusive: boolean;
  grant: () => void;
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|SAVEPOINT)\b/i;

/**
 * Gives one transaction at a time the whole of TypeORM's single SQLite connection.
 *
 * TypeORM's sqlite driver has exactly one connection and one shared query runner, and node-sqlite3 runs the
 * statements of all requests on it concurrently. A transaction opened there would also capture (and roll
 * back) every statement other requests run meanwhile. A second connection for transactions is no cure: two
 * connections in one process contend for SQLite's write lock, and a statement that loses gets SQLITE_BUSY
 * inside the implicit transaction the other requests' statements share, so acknowledged writes could vanish.
 *
 * So statements outside a transaction share the connection (a reader-writer lock's shared side) and a
 * transaction takes it exclusively: it starts once the statements in flight are done, and new ones wait until
 * it ends. Statements issued from inside the transaction (its async context, tracked with AsyncLocalStorage)
 * pass straight through. Waiters are served in arrival order, so neither side starves. There is never more
 * than one writer, so SQLite never answers "busy" inside this process.
 *
 * Hand-written because no maintained lock library knows which statements belong to the lock's holder.
 */
export class SqliteConnectionGate {
  private readonly context = new AsyncLocalStorage<TransactionTicket>();
  private readonly waiters: Waiter[] = [];
  private sharedHolders = 0;
  private exclusiveHeld = false;
  private holder: TransactionTicket | null = null;
  private nextTicket = 1;

  /** Routes every statement of the shared query runner through the gate. */
  install(runner: QueryRunner): void {
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) =>
      this.statement(sql, () => query(sql, parameters, structured as never))) as QueryRunner['query'];
  }

  /** True while the caller runs inside the transaction that holds the connection. */
  get inTransaction(): boolean {
    const ticket = this.context.getStore();
    return ticket !== undefined && ticket === this.holder;
  }

  /** Runs `work` as the connection's only user; its statements may open and commit a transaction. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    const ticket: TransactionTicket = { id: this.nextTicket++ };
    this.holder = ticket;
    try {
      return await this.context.run(ticket, work);
    } finally {
      this.holder = null;
      this.release(true);
    }
  }

  private async statement<T>(sql: string, run: () => Promise<T>): Promise<T> {
    if (this.inTransaction) {
      return run();
    }
    if (TRANSACTION_CONTROL.test(sql)) {
      // A transaction opened beside the gate would capture other requests' statements (e.g. TypeORM's
      // `save()` opens one by itself): fail loudly instead.
      throw new Error('SQLite transactions must run through Transactions.run');
    }
    await this.acquire(false);
    try {
      return await run();
    } finally {
      this.release(false);
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    if (this.waiters.length === 0 && this.canGrant(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiters.push({ exclusive, grant }));
  }

  private release(exclusive: boolean): void {
    if (exclusive) {
      this.exclusiveHeld = false;
    } else {
      this.sharedHolders -= 1;
    }
    // Grant in arrival order: a run of statements together, a transaction alone.
    while (this.waiters.length > 0 && this.canGrant(this.waiters[0].exclusive)) {
      const next = this.waiters.shift()!;
      this.take(next.exclusive);
      next.grant();
    }
  }

  private canGrant(exclusive: boolean): boolean {
    return exclusive ? !this.exclusiveHeld && this.sharedHolders === 0 : !this.exclusiveHeld;
  }

  private take(exclusive: boolean): void {
    if (exclusive) {
      this.exclusiveHeld = true;
    } else {
      this.sharedHolders += 1;
    }
  }
}
