import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Project rules the emulator must keep: no wall-clock or unseeded randomness, self-contained imports. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      return sources(p);
    }
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

const files = sources(__dirname);

describe('emulator source rules', () => {
  it('reads the wall clock only in clock.ts and never uses Math.random', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect([f, /Math\.random\(/.test(text)]).toEqual([f, false]);
      if (!f.endsWith('clock.ts')) {
        expect([f, /Date\.now\(|new Date\(|performance\.now\(/.test(text)]).toEqual([f, false]);
      }
    }
  });

  it('imports nothing from other src/ folders except src/config/emulator-env, and reads no process.env', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/from '(\.[^']*)'/g)) {
        const target = relative(__dirname, join(f, '..', m[1]));
        const inside = !target.startsWith('..');
        expect([f, m[1], inside || target === join('..', 'config', 'emulator-env')]).toEqual([f, m[1], true]);
      }
      expect([f, /process\.env/.test(text)]).toEqual([f, false]);
    }
  });
});
