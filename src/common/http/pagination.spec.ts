import { Page } from './pagination';

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
});
