import { parseLastEventId } from './job-events';

describe('parseLastEventId', () => {
  it('reads a positive sequence number and starts from the beginning otherwise', () => {
    expect(parseLastEventId('42')).toBe(42);
    for (const header of [undefined, '', '0', '-3', '1.5', 'abc', '9007199254740993']) {
      expect(parseLastEventId(header)).toBe(0);
    }
  });
});
