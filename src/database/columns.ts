import { Column, type ColumnOptions, type ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in a `bigint` column: one portable type for SQLite and
 * PostgreSQL (SQLite has no timestamp type; PostgreSQL returns bigint as a string, hence the transformer).
 * Values come from the injected Clock, never from database defaults.
 */
const epochMsTransformer: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : value),
  from: (value: string | number | null) =>
    value === null || value === undefined ? value : new Date(Number(value)),
};

export function InstantColumn(options: Omit<ColumnOptions, 'type' | 'transformer'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'bigint', transformer: epochMsTransformer });
}
