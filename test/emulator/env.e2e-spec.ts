import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { EmulatorEnvError, loadEmulatorEnv } from '../../src/config/emulator-env';

const ROOT = resolve(__dirname, '..', '..');

function runStandalone(env: Record<string, string>, untilBanner: boolean) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', 'src/ipaas-emulator/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (untilBanner && stdout.includes('\n')) {
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('emulator: standalone environment (src/config/emulator-env.ts)', () => {
  it('defaults', () => {
    expect(loadEmulatorEnv({})).toEqual({
      port: 4010,
      host: '127.0.0.1',
      subscribers: 25,
      pendingRequests: 5,
      rngSeed: 1,
      ratePerSecond: 100,
      burst: 200,
      concurrency: 25,
      monthlyAllowance: null,
      latencyMs: 0,
      latencyJitterMs: 0,
      errorMode: 'plaintext',
      journalSize: 1000,
    });
  });

  it('parses valid values', () => {
    const env = loadEmulatorEnv({
      EMULATOR_PORT: '0',
      EMULATOR_SUBSCRIBERS: '20000',
      EMULATOR_MONTHLY_ALLOWANCE: '1000',
      EMULATOR_ERROR_MODE: 'reason-phrase',
      EMULATOR_SEED: '99',
    });
    expect(env).toMatchObject({
      port: 0,
      subscribers: 20000,
      monthlyAllowance: 1000,
      errorMode: 'reason-phrase',
      rngSeed: 99,
    });
    expect(loadEmulatorEnv({ EMULATOR_MONTHLY_ALLOWANCE: 'unlimited' }).monthlyAllowance).toBeNull();
  });

  it('lists every problem in one error, naming each variable', () => {
    let caught: unknown;
    try {
      loadEmulatorEnv({
        EMULATOR_PORT: 'abc',
        EMULATOR_SUBSCRIBERS: '20001',
        EMULATOR_ERROR_MODE: 'xml',
        EMULATOR_BURST: '0',
        EMULATOR_JOURNAL_SIZE: '1.5',
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EmulatorEnvError);
    const e = caught as EmulatorEnvError;
    expect(e.problems).toHaveLength(5);
    for (const name of [
      'EMULATOR_PORT',
      'EMULATOR_SUBSCRIBERS',
      'EMULATOR_ERROR_MODE',
      'EMULATOR_BURST',
      'EMULATOR_JOURNAL_SIZE',
    ]) {
      expect(e.message).toContain(name);
    }
    expect(() => loadEmulatorEnv({ EMULATOR_PORT: '70000' })).toThrow(/EMULATOR_PORT="70000"/);
  });

  it('npm run emulator: a bad EMULATOR_PORT exits 1 naming the variable', async () => {
    const r = await runStandalone({ EMULATOR_PORT: 'not-a-port' }, false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('EMULATOR_PORT');
    expect(r.stdout).toBe('');
  });

  it('npm run emulator: starts with the demo seed and prints a banner saying the vendor is emulated', async () => {
    const r = await runStandalone({ EMULATOR_PORT: '0', EMULATOR_SUBSCRIBERS: '7' }, true);
    expect(r.stdout).toMatch(
      /^iPaaS\.com EMULATOR \(not the real vendor\) listening on http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(r.stdout).toContain('misp@sandbox.test / sandbox-pass');
    expect(r.stdout).toContain('7 subscribers');
  });
});
