import { paginate, parsePaginationHeader, type FetchedPage } from './paginate';

async function collect<T>(iterator: AsyncGenerator<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of iterator) {
    all.push(...page);
  }
  return all;
}

const header = (current: number, total: number) => ({ current_Page: current, total_Pages: total });

describe('paginate', () => {
  it('should walk every page until the last one', async () => {
    const pages: Record<number, number[]> = { 1: [1, 2], 2: [3, 4], 3: [5] };
    const fetchPage = (n: number): Promise<FetchedPage<number>> =>
      Promise.resolve({ items: pages[n] ?? [], pagination: header(n, 3) });
    await expect(collect(paginate(fetchPage))).resolves.toEqual([1, 2, 3, 4, 5]);
  });

  it('should stop on a response without pagination or on an empty page', async () => {
    await expect(collect(paginate(() => Promise.resolve({ items: [1] })))).resolves.toEqual([1]);
    let calls = 0;
    const empty = (n: number): Promise<FetchedPage<number>> => {
      calls += 1;
      return Promise.resolve({ items: n === 1 ? [1] : [], pagination: header(n, 99) });
    };
    await expect(collect(paginate(empty))).resolves.toEqual([1]);
    expect(calls).toBe(2);
  });

  it('should refuse a server that never advances', async () => {
    const stuck = (): Promise<FetchedPage<number>> =>
      Promise.resolve({ items: [1], pagination: header(1, 5) });
    await expect(collect(paginate(stuck))).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('should refuse to go past the page cap', async () => {
    const endless = (n: number): Promise<FetchedPage<number>> =>
      Promise.resolve({ items: [n], pagination: header(n, 1_000_000) });
    await expect(collect(paginate(endless, { maxPages: 5 }))).rejects.toThrow('Pagination exceeded 5 pages');
  });

  it('should parse the header leniently', () => {
    expect(parsePaginationHeader('{"current_Page":1,"total_Pages":2}')).toEqual(header(1, 2));
    expect(parsePaginationHeader('not json')).toBeUndefined();
    expect(parsePaginationHeader('{"current_Page":"1"}')).toBeUndefined();
  });
});
