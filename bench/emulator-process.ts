/**
 * Runs the emulator in a child process for benchmarks: compiled with swc into node_modules/.cache/emulator-bench
 * and run by plain node, so the load generator (or Tenantry) does not share its event loop or CPU core, and its
 * RSS is measured on its own.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { transformFileSync } from '@swc/core';

export interface EmulatorProcess {
  url: string;
  pid: number;
  banner: string;
  close(): void;
}

export function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Compile the emulator (and its env loader) to CommonJS with swc; returns the compiled main.js. */
export function compileEmulator(root: string): string {
  const out = join(root, 'node_modules', '.cache', 'emulator-bench');
  const files: string[] = [join(root, 'src', 'config', 'emulator-env.ts')];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) {
        files.push(p);
      }
    }
  };
  walk(join(root, 'src', 'ipaas-emulator'));
  for (const f of files) {
    const { code } = transformFileSync(f, {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
      swcrc: false,
    });
    const dest = join(out, relative(root, f)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, code);
  }
  return join(out, 'src', 'ipaas-emulator', 'main.js');
}

/** Starts `src/ipaas-emulator/main.ts` (compiled) with the given EMULATOR_* variables; resolves once it listens. */
export async function startEmulatorProcess(env: Record<string, string>): Promise<EmulatorProcess> {
  const root = resolve(__dirname, '..');
  const mainJs = compileEmulator(root);
  const child = spawn(process.execPath, [mainJs], {
    cwd: root,
    env: { ...process.env, EMULATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const banner = await new Promise<string>((ok, fail) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('\n')) {
        ok(buf.split('\n')[0]);
      }
    });
    child.once('exit', (code) => fail(new Error(`emulator exited early (${code})`)));
  });
  const url = /listening on (http:\/\/\S+)/.exec(banner)?.[1];
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`no URL in banner: ${banner}`);
  }
  return { url, pid: child.pid as number, banner, close: () => child.kill('SIGKILL') };
}
