import { formatApiKey, parseApiKey } from './api-key-format';

const ID = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
const SECRET = 'Ab_-0123456789abcdefghijklmnopqrstuvwxyzABC';

describe('API key format', () => {
  it('should round-trip an id and a secret that itself contains underscores', () => {
    const key = formatApiKey(ID, SECRET);
    expect(key).toBe(`tnt_${ID}_${SECRET}`);
    expect(parseApiKey(key)).toEqual({ id: ID, secret: SECRET });
  });

  it.each([
    ['empty', ''],
    ['no prefix', `${ID}_${SECRET}`],
    ['another prefix', `tnx_${ID}_${SECRET}`],
    ['upper-case id', `tnt_${ID.toUpperCase()}_${SECRET}`],
    ['short secret', `tnt_${ID}_${SECRET.slice(1)}`],
    ['long secret', `tnt_${ID}_${SECRET}A`],
    ['padding', `tnt_${ID}_${SECRET.slice(1)}=`],
    ['trailing newline', `tnt_${ID}_${SECRET}\n`],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig'],
  ])('should refuse %s', (_label, text) => {
    expect(parseApiKey(text)).toBeNull();
  });
});
