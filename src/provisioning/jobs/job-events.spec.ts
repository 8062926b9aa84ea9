import { parseLastEventId, StreamIds } from './job-events';

describe('parseLastEventId', () => {
  it('reads a positive sequence number and starts from the beginning otherwise', () => {
    expect(parseLastEventId('42')).toBe(42);
    for (const header of [undefined, '', '0', '-3', 'abc', '9007199254740993']) {
      expect(parseLastEventId(header)).toBe(0);
    }
  });

  it('resumes after the position of a fractional id (a progress or late event sent after that event)', () => {
    expect(parseLastEventId('42.000003')).toBe(42);
    expect(parseLastEventId('1.5')).toBe(1);
  });
});

describe('StreamIds', () => {
  it('gives unique, strictly increasing ids: events past the position by number, the rest as fractions', () => {
    const ids = new StreamIds(10);
    const sent = [ids.next(), ids.next(11), ids.next(), ids.next(14), ids.next(12), ids.next(), ids.next(15)];
    expect(sent).toEqual(['10.000001', '11', '11.000001', '14', '14.000001', '14.000002', '15']);
    const numbers = sent.map(Number);
    expect(new Set(sent).size).toBe(sent.length);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    // Resuming after any of them resumes after the last event actually past the position.
    expect(sent.map(parseLastEventId)).toEqual([10, 11, 11, 14, 14, 14, 15]);
  });

  it('stays increasing as a number past nine fractions', () => {
    const ids = new StreamIds(3);
    const sent = Array.from({ length: 12 }, () => Number(ids.next()));
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(new Set(sent).size).toBe(12);
  });
});
