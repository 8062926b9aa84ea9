import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { startTestApp } from '../utils/test-app';

/**
 * Jest global setup of the fuzz tier: boots the real app (on the tier's database kind) and writes its OpenAPI
 * document where the spec reads it synchronously, so the spec can declare one test per operation.
 */
export default async function writeOpenApiDocument(): Promise<void> {
  const t = await startTestApp();
  try {
    const document = (await request(t.server).get('/docs-json').expect(200)).body as unknown;
    const file = join(mkdtempSync(join(tmpdir(), 'tenantry-fuzz-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    process.env.FUZZ_OPENAPI_FILE = file;
  } finally {
    await t.close();
  }
}
