import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * Tenantry's version from its package.json, found by walking up from this file: the same code runs from
 * `src/config` (ts-node) and `dist/src/config` (the build), whose distances to the package root differ.
 */
export function appVersion(): string {
  if (cached !== undefined) {
    return cached;
  }
  for (let directory = __dirname; ; directory = dirname(directory)) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'tenantry' && typeof manifest.version === 'string') {
        cached = manifest.version;
        return cached;
      }
    }
    if (dirname(directory) === directory) {
      cached = '0.0.0';
      return cached;
    }
  }
}
