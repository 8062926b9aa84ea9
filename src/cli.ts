import 'reflect-metadata';

import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, LoggerModule } from 'nestjs-pino';

import { buildLoggerParams } from './common/logging/logger.options';
import { TimeModule } from './common/time/time.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConfigValidationError, loadConfigFromProcess } from './config/load-config';
import { DatabaseModule } from './database/database.module';
import { type RotationCounts, VaultRotationService } from './vault/vault-rotation.service';
import { VaultModule } from './vault/vault.module';

/**
 * `npm run cli -- <command> [flags]`: operator commands run in a Nest application context (no HTTP server).
 *
 * A table of commands and a hand-read flag or two instead of a CLI framework: with two commands
 * (vault:rotate now, staff:create later) a framework would add more surface than it saves.
 * stdout carries only the command's output (counts); JSON logs go to stderr.
 */
interface Command {
  usage: string;
  /** The modules the command needs beyond config, clock, logger and database. */
  imports: DynamicModule['imports'];
  /** Reads the flags (before anything boots) and returns what to run; exit code 0 or 1. */
  prepare(args: string[]): (app: INestApplicationContext) => Promise<number>;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

class UsageError extends Error {}

function readIntegerFlag(args: string[], name: string, fallback: number, max: number): number {
  const index = args.indexOf(name);
  if (index < 0) {
    return fallback;
  }
  const text = args[index + 1] ?? '';
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new UsageError(`${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

function checkFlags(args: string[], known: string[]): void {
  for (let index = 0; index < args.length; index += 2) {
    const flag = args[index] ?? '';
    if (!known.includes(flag)) {
      throw new UsageError(`unknown argument ${flag}`);
    }
  }
}

const COMMANDS: Record<string, Command> = {
  'vault:rotate': {
    usage: 'vault:rotate [--batch-size N]   re-seal every stored secret under the active vault key',
    imports: [VaultModule],
    prepare(args) {
      checkFlags(args, ['--batch-size']);
      const batchSize = readIntegerFlag(args, '--batch-size', 100, 10000);
      return async (app) => {
        const format = (counts: RotationCounts): string =>
          `scanned=${counts.scanned} rotated=${counts.rotated} skipped=${counts.skipped} failed=${counts.failed}`;
        const counts = await app.get(VaultRotationService).rotate({
          batchSize,
          onBatch: (progress) => print(`vault:rotate progress ${format(progress)}`),
        });
        print(`vault:rotate done activeKeyId=${counts.activeKeyId} ${format(counts)}`);
        if (counts.failed > 0) {
          print('vault:rotate: some rows did not open (see the logs); keep their old keys loaded');
          return 1;
        }
        return 0;
      };
    },
  },
};

function cliModule(config: AppConfig, command: Command): DynamicModule {
  @Module({})
  class CliModule {}
  return {
    module: CliModule,
    imports: [
      ConfigModule.forRoot(config),
      TimeModule.forRoot(),
      LoggerModule.forRoot(buildLoggerParams(config, process.stderr)),
      DatabaseModule,
      ...(command.imports ?? []),
    ],
  };
}

function usage(): string {
  return [
    'Usage: npm run cli -- <command>',
    ...Object.values(COMMANDS).map((command) => `  ${command.usage}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`${name === undefined ? '' : `Unknown command ${name}\n`}${usage()}\n`);
    return 1;
  }
  let app: INestApplicationContext | undefined;
  try {
    const run = command.prepare(args);
    const config = loadConfigFromProcess();
    app = await NestFactory.createApplicationContext(cliModule(config, command), {
      bufferLogs: true,
      abortOnError: false,
    });
    app.useLogger(app.get(Logger));
    return await run(app);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `${name} failed: ${message}\n${error instanceof UsageError || error instanceof ConfigValidationError ? `${usage()}\n` : ''}`,
    );
    return 1;
  } finally {
    await app?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cli failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
