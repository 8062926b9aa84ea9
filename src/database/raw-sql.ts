import type { DataSource, EntityManager, ObjectLiteral, QueryRunner } from 'typeorm';

/**
 * Runs one SQL statement with `:name` parameters on either driver (SQLite `?`, PostgreSQL `$1`) and returns
 * the rows it yields, RETURNING rows included. TypeORM's sqlite runner sends statements that start with
 * `INSERT `/`UPDATE `/`DELETE ` through run(), which drops RETURNING rows: start such a statement with a
 * comment (`/* reserve *\/ INSERT …`) so it goes through all(), which returns them.
 */
export async function queryRows<T>(
  dataSource: DataSource,
  sql: string,
  parameters: ObjectLiteral,
  manager?: EntityManager,
): Promise<T[]> {
  const [query, values] = dataSource.driver.escapeQueryWithParameters(sql, parameters, {});
  // A transaction's manager carries its query runner; otherwise borrow one and give it back.
  const runner: QueryRunner = manager?.queryRunner ?? dataSource.createQueryRunner();
  try {
    const result = (await runner.query(query, values as unknown[], true)) as { records: T[] };
    return result.records;
  } finally {
    if (runner !== manager?.queryRunner) {
      await runner.release();
    }
  }
}
