import { isDisplayName } from './is-display-name';

describe('isDisplayName', () => {
  it.each([
    'Olivia Ops',
    'Zoë Ørsted-Ünal',
    '株式会社テスト',
    'شركة الاختبار',
    'Acme 👩‍💻 (ZWJ emoji)',
    '＝ full-width is only a CSV concern',
  ])('accepts %j', (name) => {
    expect(isDisplayName(name)).toBe(true);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a line feed', 'Acme\nINFO forged log line'],
    ['a carriage return', 'a\rb'],
    ['an ANSI escape', '\u001b[31mred'],
    ['DEL', 'a\u007fb'],
    ['a C1 control (NEL)', 'a\u0085b'],
    ['a C1 control (CSI)', 'a\u009bb'],
    ['a right-to-left override', 'invoice\u202Efdp.exe'],
    ['a left-to-right embedding', '\u202Aa'],
    ['a pop directional formatting', 'a\u202C'],
    ['a right-to-left isolate', '\u2067admin\u2069'],
    ['a first strong isolate', '\u2068a'],
    ['a right-to-left mark', 'a\u200Fb'],
    ['an Arabic letter mark', 'a\u061Cb'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
  ])('refuses %s', (_what, name) => {
    expect(isDisplayName(name)).toBe(false);
  });

  it('leaves non-strings to the type validators', () => {
    expect(isDisplayName(42)).toBe(true);
  });
});
