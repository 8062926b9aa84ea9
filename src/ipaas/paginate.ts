import { VendorError } from './vendor-error';

/** iPaaS.com's `X-Pagination` header (keys as the vendor spells them). */
export interface VendorPagination {
  total_Count?: number;
  page_Size?: number;
  current_Page: number;
  total_Pages: number;
}

export function parsePaginationHeader(value: string | undefined): VendorPagination | undefined {
  if (value === undefined) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(value) as Partial<VendorPagination>;
    if (Number.isInteger(parsed.current_Page) && Number.isInteger(parsed.total_Pages)) {
      return parsed as VendorPagination;
    }
  } catch {
    // Unreadable header: treated as absent (single page).
  }
  return undefined;
}

export interface FetchedPage<T> {
  items: T[];
  pagination?: VendorPagination;
}

/**
 * Walks a paged vendor list. Stops on the last page (`current_Page >= total_Pages`), on an empty page or on a
 * response without pagination; refuses to go on when a page does not advance (a server that repeats page 1
 * forever) or past `maxPages`, so a hostile or buggy server cannot make us loop.
 */
export async function* paginate<T>(
  fetchPage: (pageNumber: number) => Promise<FetchedPage<T>>,
  options: { maxPages?: number; operation?: string } = {},
): AsyncGenerator<T[], void, undefined> {
  const maxPages = options.maxPages ?? 1000;
  let pageNumber = 1;
  let previousPage: number | undefined;
  for (let fetched = 0; ; fetched += 1) {
    if (fetched >= maxPages) {
      throw new VendorError('protocol', `Pagination exceeded ${maxPages} pages`, {
        operation: options.operation,
      });
    }
    const page = await fetchPage(pageNumber);
    const current = page.pagination?.current_Page;
    if (current !== undefined && previousPage !== undefined && current <= previousPage) {
      throw new VendorError('protocol', `Pagination did not advance past page ${previousPage}`, {
        operation: options.operation,
      });
    }
    if (page.items.length > 0) {
      yield page.items;
    }
    if (
      page.items.length === 0 ||
      page.pagination === undefined ||
      page.pagination.current_Page >= page.pagination.total_Pages
    ) {
      return;
    }
    previousPage = page.pagination.current_Page;
    pageNumber = page.pagination.current_Page + 1;
  }
}

/** Every item of a paged walk, in order (small lists: the MiSP's requests, role shares, companies). */
export async function collectPages<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) {
    items.push(...page);
  }
  return items;
}
