import { csvCell, csvLine } from './csv';

describe('CSV cells and lines', () => {
  it('writes plain cells as they are and null as an empty cell', () => {
    expect(csvLine(['a', 42, null, 'b'])).toBe('a,42,,b\r\n');
  });

  it('quotes cells with commas, quotes or line breaks and doubles the quotes (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('{"status":403,"code":"FORBIDDEN"}')).toBe('"{""status"":403,""code"":""FORBIDDEN""}"');
  });

  it.each([
    '=1+1',
    '+1',
    '-1',
    '@SUM(A1)',
    '\tx',
    '\rx',
    '＝1+1',
    '＋1',
    '－1',
    '＠SUM(A1)',
    '﹦1+1',
    ' =1+1',
    '  @SUM(A1)',
    '\u00a0=1+1',
    '\u3000＝1',
    '\n=1',
    ' \t-1',
  ])('prefixes a cell a spreadsheet would run as a formula: %j', (value) => {
    expect(csvCell(value).replace(/^"/, '')).toMatch(/^'/);
  });

  it('quotes a prefixed formula that also needs quotes', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
  });

  it('leaves text that only contains those characters later alone', () => {
    expect(csvCell('a=1')).toBe('a=1');
    expect(csvCell('Acme － Retail')).toBe('Acme － Retail');
    expect(csvCell(' plain')).toBe(' plain');
  });

  it('leaves numbers alone', () => {
    expect(csvCell(-1)).toBe('-1');
  });
});
