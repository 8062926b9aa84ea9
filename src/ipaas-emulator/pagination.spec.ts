import fc from 'fast-check';
import { paginate, paginationHeader } from './pagination';

const opts = { defaultPageSize: 50, maxPageSize: 100 };

describe('paginate', () => {
  it('matches the vendor example header byte for byte', () => {
    expect(paginationHeader(165, 100, 1)).toBe(
      '{"total_Count":165,"page_Size":100,"current_Page":1,"total_Pages":2,"previous_Page":"No","next_Page":"Yes"}',
    );
  });

  it('pages partition the list in order, for any size and page size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 100 }), (n, size) => {
        const all = Array.from({ length: n }, (_, i) => i);
        const header0 = JSON.parse(paginate(all, { pageSize: String(size) }, opts).header);
        const pages = Math.ceil(n / size);
        expect(header0.total_Pages).toBe(pages);
        const seen: number[] = [];
        for (let p = 1; p <= pages + 1; p++) {
          const page = paginate(all, { pageNumber: String(p), pageSize: String(size) }, opts);
          const h = JSON.parse(page.header);
          expect(h).toMatchObject({ total_Count: n, page_Size: size, current_Page: p });
          expect(h.next_Page).toBe(p < pages ? 'Yes' : 'No');
          expect(h.previous_Page).toBe(p > 1 && pages > 0 ? 'Yes' : 'No');
          if (p > pages) {
            expect(page.items).toEqual([]);
          }
          seen.push(...page.items);
        }
        expect(seen).toEqual(all);
      }),
    );
  });

  it('clamps pageSize to the max, accepts any casing, refuses non-positive or non-integer values', () => {
    expect(JSON.parse(paginate([1, 2, 3], { pagesize: '500' }, opts).header).page_Size).toBe(100);
    expect(paginate([1, 2, 3], { PageNumber: '2', PageSize: '2' }, opts).items).toEqual([3]);
    expect(() => paginate([], { pageNumber: '0' }, opts)).toThrow('pageNumber');
    expect(() => paginate([], { pageSize: '-1' }, opts)).toThrow('pageSize');
    expect(() => paginate([], { pageSize: '2.5' }, opts)).toThrow('pageSize');
  });
});
