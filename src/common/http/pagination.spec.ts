import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { MAX_PAGE_NUMBER, MAX_PAGE_SIZE, Page, PaginationQueryDto } from './pagination';

function problemsOf(query: Record<string, string>): string[] {
  return validateSync(plainToInstance(PaginationQueryDto, query)).map((error) => error.property);
}

describe('Page', () => {
  it('should format the X-Pagination header exactly as iPaaS.com does', () => {
    expect(Page.of([], 165, { pageNumber: 1, pageSize: 50 }).toHeader()).toBe(
      '{"total_Count":165,"page_Size":50,"current_Page":1,"total_Pages":4,"previous_Page":"No","next_Page":"Yes"}',
    );
    expect(Page.of([], 165, { pageNumber: 4, pageSize: 50 }).toHeader()).toBe(
      '{"total_Count":165,"page_Size":50,"current_Page":4,"total_Pages":4,"previous_Page":"Yes","next_Page":"No"}',
    );
  });

  it('should report zero pages for an empty list', () => {
    expect(JSON.parse(Page.of([], 0, { pageNumber: 1, pageSize: 50 }).toHeader())).toMatchObject({
      total_Pages: 0,
      previous_Page: 'No',
      next_Page: 'No',
    });
  });

  it('should slice an in-memory list', () => {
    const page = Page.slice([1, 2, 3, 4, 5], { pageNumber: 2, pageSize: 2 });
    expect(page.items).toEqual([3, 4]);
    expect(page.map((n) => n * 10).items).toEqual([30, 40]);
  });

  it('should accept every page number whose offset the databases can use, and nothing beyond', () => {
    expect(problemsOf({ pageNumber: String(MAX_PAGE_NUMBER), pageSize: String(MAX_PAGE_SIZE) })).toEqual([]);
    const offset = plainToInstance(PaginationQueryDto, {
      pageNumber: String(MAX_PAGE_NUMBER),
      pageSize: String(MAX_PAGE_SIZE),
    }).offset;
    expect(Number.isSafeInteger(offset)).toBe(true);
    for (const pageNumber of ['1e308', '99999999999999999999', '1e16', String(MAX_PAGE_NUMBER + 1)]) {
      expect(problemsOf({ pageNumber })).toEqual(['pageNumber']);
    }
    for (const pageNumber of ['0', '-0', '-1', '1.5', 'NaN', 'Infinity', '', 'abc']) {
      expect(problemsOf({ pageNumber })).toEqual(['pageNumber']);
    }
    expect(problemsOf({ pageSize: '501' })).toEqual(['pageSize']);
    expect(problemsOf({ pageSize: '1e308' })).toEqual(['pageSize']);
  });
});
