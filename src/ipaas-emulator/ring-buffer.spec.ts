import fc from 'fast-check';
import { RingBuffer } from './ring-buffer';

describe('RingBuffer', () => {
  it('keeps the newest `capacity` items in order and counts every push', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.integer(), { maxLength: 100 }),
        (cap, items) => {
          const r = new RingBuffer<number>(cap);
          for (const i of items) {
            r.push(i);
          }
          expect(r.toArray()).toEqual(cap === 0 ? [] : items.slice(-cap));
          expect(r.length).toBe(Math.min(cap, items.length));
          expect(r.total).toBe(items.length);
        },
      ),
    );
  });
});
