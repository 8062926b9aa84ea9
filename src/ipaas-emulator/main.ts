/**
 * Standalone iPaaS.com emulator: `npm run emulator`. Configured by EMULATOR_* variables (src/config/emulator-env.ts).
 */
import { loadEmulatorEnv } from '../config/emulator-env';
import { monotonicMs } from './clock';
import { startEmulator } from './index';

async function main(): Promise<void> {
  const env = loadEmulatorEnv();
  const t0 = monotonicMs();
  const emu = await startEmulator({
    port: env.port,
    host: env.host,
    seed: { subscribers: env.subscribers, pendingRequests: env.pendingRequests },
    rngSeed: env.rngSeed,
    limits: {
      ratePerSecond: env.ratePerSecond,
      burst: env.burst,
      concurrency: env.concurrency,
      monthlyAllowance: env.monthlyAllowance,
    },
    latency: { fixedMs: env.latencyMs, jitterMs: env.latencyJitterMs },
    errorMode: env.errorMode,
    journalSize: env.journalSize,
  });
  const demo = emu.control.demo();
  process.stdout.write(
    `iPaaS.com EMULATOR (not the real vendor) listening on ${emu.url} ` +
      `| MiSP login ${demo?.email} / ${demo?.password} | ${demo?.subscriberCount} subscribers, ` +
      `${demo?.pendingRequestCount} pending requests | started in ${Math.round(monotonicMs() - t0)} ms ` +
      `| control plane ${emu.url}/__emulator\n`,
  );
  const stop = () => {
    void emu.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
