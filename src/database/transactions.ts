import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

import { AppConfig } from '../config/app-config';
import { SqliteConnectionGate } from './sqlite-connection-gate';

/**
 * Runs work in one database transaction. Every multi-statement write goes through here, never through
 * `manager.transaction()` or `repository.save()` directly, because of SQLite: its one connection is shared by
 * every request, so a transaction must hold it alone (see SqliteConnectionGate, which refuses a transaction
 * opened beside it). Transactions therefore run one at a time on SQLite; keep them short and free of vendor
 * calls. Work that runs inside a transaction and starts another joins the outer one.
 *
 * On PostgreSQL this is the pool's ordinary transaction.
 */
@Injectable()
export class Transactions {
  private readonly sqliteGate: SqliteConnectionGate | null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    this.sqliteGate = this.isSqlite ? new SqliteConnectionGate() : null;
    // The sqlite driver hands out one shared query runner; every repository and query builder uses it.
    this.sqliteGate?.install(dataSource.createQueryRunner());
  }

  get isSqlite(): boolean {
    return this.config.database.kind === 'sqlite';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const gate = this.sqliteGate;
    if (gate === null) {
      return this.dataSource.transaction(work);
    }
    if (gate.inTransaction) {
      return work(this.dataSource.createQueryRunner().manager);
    }
    return gate.exclusive(() => this.dataSource.transaction(work));
  }
}
