import { applyDecorators, type Type as ClassType } from '@nestjs/common';
import { ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export const PAGINATION_HEADER = 'X-Pagination';
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/**
 * Largest page number. The offset `(pageNumber - 1) × pageSize` must be an exact JavaScript integer (below
 * 2^53) and an OFFSET both databases take (a signed 64-bit integer): `1e308` became `Infinity` in the SQL and
 * `1e20` overflowed SQLite. 2^31 - 1 keeps the offset below 2^40, far inside both and far past any real list.
 */
export const MAX_PAGE_NUMBER = 2_147_483_647;

/** `pageNumber` (1-based) and `pageSize`, as iPaaS.com names them, so MiSP tooling pages Tenantry the same way. */
export class PaginationQueryDto {
  @ApiProperty({
    required: false,
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_NUMBER,
    default: 1,
    description: '1-based page number',
  })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_NUMBER)
  pageNumber = 1;

  @ApiProperty({
    required: false,
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  pageSize = DEFAULT_PAGE_SIZE;

  get offset(): number {
    return (this.pageNumber - 1) * this.pageSize;
  }
}

/** One page of a list. Controllers return it; `PaginationInterceptor` sends the items and the header. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly totalCount: number,
    readonly pageNumber: number,
    readonly pageSize: number,
  ) {}

  static of<T>(
    items: T[],
    totalCount: number,
    query: Pick<PaginationQueryDto, 'pageNumber' | 'pageSize'>,
  ): Page<T> {
    return new Page(items, totalCount, query.pageNumber, query.pageSize);
  }

  /** Pages an in-memory list (small catalogues). */
  static slice<T>(all: readonly T[], query: Pick<PaginationQueryDto, 'pageNumber' | 'pageSize'>): Page<T> {
    const start = (query.pageNumber - 1) * query.pageSize;
    return Page.of(all.slice(start, start + query.pageSize), all.length, query);
  }

  map<U>(mapper: (item: T) => U): Page<U> {
    return new Page(this.items.map(mapper), this.totalCount, this.pageNumber, this.pageSize);
  }

  get totalPages(): number {
    return Math.ceil(this.totalCount / this.pageSize);
  }

  /** iPaaS.com's exact header format, keys in this order, "Yes"/"No" flags. */
  toHeader(): string {
    return JSON.stringify({
      total_Count: this.totalCount,
      page_Size: this.pageSize,
      current_Page: this.pageNumber,
      total_Pages: this.totalPages,
      previous_Page: this.pageNumber > 1 ? 'Yes' : 'No',
      next_Page: this.pageNumber < this.totalPages ? 'Yes' : 'No',
    });
  }
}

/** Documents a paginated list: a JSON array body and the `X-Pagination` header. */
export function ApiPaginatedResponse(
  itemType: ClassType<unknown>,
  description = 'One page of results',
): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({
      description,
      type: itemType,
      isArray: true,
      headers: {
        [PAGINATION_HEADER]: {
          description:
            'JSON paging metadata in iPaaS.com format, e.g. {"total_Count":165,"page_Size":50,"current_Page":1,' +
            '"total_Pages":4,"previous_Page":"No","next_Page":"Yes"}',
          schema: { type: 'string' },
        },
      },
    }),
  );
}
