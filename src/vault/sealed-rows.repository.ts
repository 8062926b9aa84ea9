import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, ObjectLiteral } from 'typeorm';

import type { SealedTable } from './sealed-columns';

export interface SealedRow {
  id: string;
  keyId: string;
  /** Column name → envelope (null when the column is empty on this row). */
  envelopes: Record<string, string | null>;
}

/**
 * SQL over the tables listed in SEALED_TABLES, by table and column name (the vault does not import the
 * entities of the modules that own them). Named parameters go through the driver, so the same statements
 * run on SQLite (`?`) and PostgreSQL (`$1`).
 */
@Injectable()
export class SealedRowsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private quote(identifier: string): string {
    return this.dataSource.driver.escape(identifier);
  }

  private async run(
    sql: string,
    parameters: ObjectLiteral,
  ): Promise<{ records: unknown[]; affected?: number }> {
    const [query, values] = this.dataSource.driver.escapeQueryWithParameters(sql, parameters, {});
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(query, values, true);
      return { records: result.records as unknown[], affected: result.affected };
    } finally {
      await runner.release();
    }
  }

  /** How many rows of the table are under each kid. */
  async countByKeyId(table: SealedTable): Promise<Map<string, number>> {
    const keyId = this.quote(table.keyIdColumn);
    const { records } = await this.run(
      `SELECT ${keyId} AS kid, COUNT(*) AS rows_count FROM ${this.quote(table.table)} GROUP BY ${keyId}`,
      {},
    );
    // PostgreSQL returns COUNT(*) as a string (bigint).
    return new Map(
      (records as { kid: string; rows_count: string | number }[]).map((row) => [
        row.kid,
        Number(row.rows_count),
      ]),
    );
  }

  /**
   * The next rows (by id, after `afterId`) that are not under `activeKeyId`. Keyset paging rather than
   * "the first N not yet rotated": a row skipped by a failed compare-and-swap cannot make the loop spin.
   */
  async findNotUnderKey(
    table: SealedTable,
    activeKeyId: string,
    afterId: string | null,
    limit: number,
  ): Promise<SealedRow[]> {
    const id = this.quote(table.idColumn);
    const keyId = this.quote(table.keyIdColumn);
    const columns = table.columns.map(({ column }) => this.quote(column));
    const after = afterId === null ? '' : ` AND ${id} > :afterId`;
    const { records } = await this.run(
      `SELECT ${id} AS id, ${keyId} AS kid, ${columns.join(', ')} FROM ${this.quote(table.table)} ` +
        `WHERE ${keyId} <> :activeKeyId${after} ORDER BY ${id} LIMIT :limit`,
      { activeKeyId, afterId, limit: Math.trunc(limit) },
    );
    return (records as Record<string, string | null>[]).map((record) => ({
      id: String(record.id),
      keyId: String(record.kid),
      envelopes: Object.fromEntries(table.columns.map(({ column }) => [column, record[column] ?? null])),
    }));
  }

  /**
   * Writes the re-sealed values only if every sealed column still holds what was read: a credential saved
   * meanwhile by the app (already under the active kid) is never overwritten with an older value.
   */
  async compareAndSwap(
    table: SealedTable,
    row: SealedRow,
    replacement: { keyId: string; envelopes: Record<string, string | null> },
  ): Promise<boolean> {
    const parameters: ObjectLiteral = { id: row.id, newKeyId: replacement.keyId, oldKeyId: row.keyId };
    const assignments = [`${this.quote(table.keyIdColumn)} = :newKeyId`];
    const conditions = [
      `${this.quote(table.idColumn)} = :id`,
      `${this.quote(table.keyIdColumn)} = :oldKeyId`,
    ];
    table.columns.forEach(({ column }, index) => {
      const quoted = this.quote(column);
      parameters[`new${index}`] = replacement.envelopes[column] ?? null;
      assignments.push(`${quoted} = :new${index}`);
      const old = row.envelopes[column] ?? null;
      if (old === null) {
        conditions.push(`${quoted} IS NULL`);
      } else {
        parameters[`old${index}`] = old;
        conditions.push(`${quoted} = :old${index}`);
      }
    });
    const { affected } = await this.run(
      `UPDATE ${this.quote(table.table)} SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')}`,
      parameters,
    );
    return affected === 1;
  }
}
