import { err } from './errors';

export interface PaginationOptions {
  defaultPageSize: number;
  maxPageSize: number;
}

export const DEFAULT_PAGINATION: PaginationOptions = { defaultPageSize: 50, maxPageSize: 1000 };

export interface Page<T> {
  items: T[];
  /** Value of the X-Pagination header, key order exactly as in the vendor's introduction page. */
  header: string;
}

function param(query: Record<string, string>, name: string): string | undefined {
  if (query[name] !== undefined) {
    return query[name];
  }
  const lower = name.toLowerCase();
  for (const key of Object.keys(query)) {
    if (key.toLowerCase() === lower) {
      return query[key];
    }
  }
  return undefined;
}

function positiveInt(raw: string | undefined, field: string, fallback: number): number {
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^\d+$/.test(raw)) {
    throw err.idNotInteger(field);
  }
  const n = Number(raw);
  if (n < 1) {
    throw err.outOfRange(field);
  }
  return n;
}

export function paginationHeader(total: number, pageSize: number, page: number): string {
  const totalPages = Math.ceil(total / pageSize);
  const prev = page > 1 && totalPages > 0 ? 'Yes' : 'No';
  const next = page < totalPages ? 'Yes' : 'No';
  return (
    `{"total_Count":${total},"page_Size":${pageSize},"current_Page":${page},"total_Pages":${totalPages},` +
    `"previous_Page":"${prev}","next_Page":"${next}"}`
  );
}

/**
 * 1-based pageNumber (default 1), pageSize (default/max configurable, larger sizes are clamped). A page past
 * the end is an empty array with the header still present.
 */
export function paginate<T>(
  all: readonly T[],
  query: Record<string, string>,
  opts: PaginationOptions,
): Page<T> {
  const page = positiveInt(param(query, 'pageNumber'), 'pageNumber', 1);
  const size = Math.min(
    positiveInt(param(query, 'pageSize'), 'pageSize', opts.defaultPageSize),
    opts.maxPageSize,
  );
  const start = (page - 1) * size;
  const items = start >= all.length ? [] : all.slice(start, start + size);
  return { items, header: paginationHeader(all.length, size, page) };
}
