import { QueryFailedError } from 'typeorm';

/** SQLite reports `SQLITE_CONSTRAINT` with "UNIQUE constraint failed"; PostgreSQL SQLSTATE 23505. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) {
    return false;
  }
  const driverError = error.driverError as { code?: unknown; message?: unknown } | undefined;
  return (
    driverError?.code === '23505' ||
    (driverError?.code === 'SQLITE_CONSTRAINT' && String(driverError.message).includes('UNIQUE'))
  );
}
