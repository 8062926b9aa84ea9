import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import {
  checkoutFilesLoadedBy,
  cloneCheckout,
  type FreshClone,
  killLeftoverGroups,
  minimalEnv,
  processesUnder,
  runNpm,
  say,
  spawnNpm,
  waitFor200,
  waitForOutput,
} from './fresh-clone';

/**
 * The start tier of `npm test`: the README's commands on a fresh clone, as a new user types them. The e2e tier
 * boots the app through ts-node from the checkout, which is why `npm start` (nest start, swc, dist/) could be
 * broken on a fresh clone for a long time without any test noticing.
 *
 * Bounds: each is several times what the step took on the shared 2-core machine with two busy loops beside it
 * (`under-load`): `npm start` ready in 7 s (19 s when other sessions loaded the machine as well), the build 4 s,
 * the demo 33 s (bounded by the emulator's vendor rate limit, 20 s of it, rather than by the CPU). The start
 * path is CPU-bound (about 4.5 s of CPU: nest's CLI and swc 1.7 s, loading and compiling the app's modules most
 * of the rest, measured with --cpu-prof), so under load it stretches with the CPU share; nothing in it waits on a
 * timer. The bounds catch a hang, not slowness; speed is measured by the benchmarks.
 */
const LISTENING = /Tenantry listening on http:\/\/127\.0\.0\.1:(\d+)/;
/** From `npm <script>` to /readyz 200 (compile, boot, migrate an empty database). */
const READY_WITHIN_MS = 60_000;
/** From SIGTERM to no process left: Tenantry drains for up to SHUTDOWN_TIMEOUT_MS (10 s by default). */
const STOPPED_WITHIN_MS = 15_000;
const BUILD_WITHIN_MS = 60_000;
const CLI_WITHIN_MS = 60_000;
const DEMO_WITHIN_MS = 180_000;

/** The last lines of a command's output, for a failure message or the log. */
function tail(output: string, lines = 25): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

describe('README commands on a fresh clone of HEAD', () => {
  let clone: FreshClone;

  beforeAll(() => {
    clone = cloneCheckout();
  }, 60_000);

  afterEach(() => {
    // Each test stops what it started; this proves it, and keeps a failure in one from leaking into the next.
    const left = processesUnder(clone.dir);
    killLeftoverGroups();
    expect(left).toEqual([]);
  });

  afterAll(() => {
    killLeftoverGroups();
    clone?.remove();
  });

  /** `npm <script>` on an empty data/ and no .env until /readyz is 200, then SIGTERM to its process group. */
  async function serveUntilReady(script: string[]): Promise<void> {
    rmSync(join(clone.dir, 'data'), { recursive: true, force: true });
    expect(existsSync(join(clone.dir, '.env'))).toBe(false);
    const command = `npm ${script.join(' ')}`;
    say(`$ ${command}   (in the clone, env PORT=0 HOST=127.0.0.1, no .env, empty data/)`);
    const started = Date.now();
    const running = spawnNpm(script, clone.dir, minimalEnv({ PORT: '0', HOST: '127.0.0.1' }));
    let failure: string | undefined;
    try {
      const [, port] = await waitForOutput(running, LISTENING, READY_WITHIN_MS);
      await waitFor200(
        `http://127.0.0.1:${port}/readyz`,
        Math.max(1000, started + READY_WITHIN_MS - Date.now()),
      );
      say(`${command}: /readyz 200 after ${((Date.now() - started) / 1000).toFixed(1)} s (port ${port})`);
    } catch (error) {
      failure = error instanceof Error ? error.message : JSON.stringify(error);
    }
    const stopped = await running.stop(STOPPED_WITHIN_MS);
    say(
      `${command}: SIGTERM to its process group, ${stopped.killed ? 'still running after the grace time: SIGKILLed' : 'every process exited'} in ${stopped.seconds.toFixed(1)} s`,
    );
    if (failure !== undefined) {
      throw new Error(`${command}: ${failure}\n--- output ---\n${tail(running.output(), 40)}`);
    }
    expect(running.output()).not.toMatch(/no such table|failed to start/);
    expect(existsSync(join(clone.dir, 'data', 'tenantry.sqlite'))).toBe(true);
    expect(stopped.killed).toBe(false);
  }

  it(
    'npm start (nest start: swc compiles src/ into dist/) serves the API on an empty database',
    async () => {
      expect(existsSync(join(clone.dir, 'dist'))).toBe(false);
      await serveUntilReady(['start']);
    },
    READY_WITHIN_MS + STOPPED_WITHIN_MS + 10_000,
  );

  it(
    'npm run start:dev (nest start --watch) serves it too',
    async () => {
      await serveUntilReady(['run', 'start:dev']);
    },
    READY_WITHIN_MS + STOPPED_WITHIN_MS + 10_000,
  );

  it(
    'npm run build, then npm run start:prod serves the compiled build',
    async () => {
      say('$ npm run build');
      const build = await runNpm(['run', 'build'], clone.dir, minimalEnv(), BUILD_WITHIN_MS);
      say(
        `npm run build: exit ${build.timedOut ? 'none (timed out)' : build.code} in ${build.seconds.toFixed(1)} s`,
      );
      expect({ code: build.code, output: build.code === 0 ? '' : tail(build.output) }).toEqual({
        code: 0,
        output: '',
      });
      expect(existsSync(join(clone.dir, 'dist', 'src', 'main.js'))).toBe(true);
      // The symlinked node_modules must not make the clone run the checkout's code.
      expect(checkoutFilesLoadedBy('./dist/src/app.module.js', clone)).toEqual([]);
      await serveUntilReady(['run', 'start:prod']);
    },
    BUILD_WITHIN_MS + READY_WITHIN_MS + STOPPED_WITHIN_MS + 10_000,
  );

  it(
    'npm run cli -- --help prints the commands; npm run migration:run and migration:revert work on an empty database',
    async () => {
      rmSync(join(clone.dir, 'data'), { recursive: true, force: true });
      say('$ npm run cli -- --help');
      const help = await runNpm(['run', 'cli', '--', '--help'], clone.dir, minimalEnv(), CLI_WITHIN_MS);
      expect(help.code).toBe(0);
      expect(help.output).toContain('staff:create');
      expect(help.output).toContain('vault:rotate');

      const migrations = readdirSync(join(clone.dir, 'src', 'database', 'migrations')).filter((file) =>
        /^\d{13}-[A-Za-z0-9]+\.ts$/.test(file),
      );
      say('$ npm run migration:run   (empty data/)');
      const run = await runNpm(['run', 'migration:run'], clone.dir, minimalEnv(), CLI_WITHIN_MS);
      say(`npm run migration:run: exit ${run.code} in ${run.seconds.toFixed(1)} s`);
      expect({ code: run.code, output: run.code === 0 ? '' : tail(run.output) }).toEqual({
        code: 0,
        output: '',
      });
      expect(run.output.match(/Migration \w+ has been executed successfully/g)?.length).toBe(
        migrations.length,
      );

      say('$ npm run migration:revert');
      const revert = await runNpm(['run', 'migration:revert'], clone.dir, minimalEnv(), CLI_WITHIN_MS);
      expect({ code: revert.code, output: revert.code === 0 ? '' : tail(revert.output) }).toEqual({
        code: 0,
        output: '',
      });
      expect(revert.output).toMatch(/Migration \w+ has been reverted successfully/);
    },
    3 * CLI_WITHIN_MS + 10_000,
  );

  it(
    'npm run demo exits 0',
    async () => {
      say('$ npm run demo');
      const demo = await runNpm(['run', 'demo'], clone.dir, minimalEnv(), DEMO_WITHIN_MS);
      say(
        `npm run demo: exit ${demo.timedOut ? `none (killed after ${DEMO_WITHIN_MS / 1000} s)` : demo.code} in ${demo.seconds.toFixed(1)} s\n${tail(demo.output, 12)}`,
      );
      expect(demo.code).toBe(0);
    },
    DEMO_WITHIN_MS + 20_000,
  );
});
