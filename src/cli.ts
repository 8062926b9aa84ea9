import 'reflect-metadata';

import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, LoggerModule } from 'nestjs-pino';

import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './auth/password-hasher';
import { STAFF_ROLES, type StaffRole } from './auth/roles';
import { SecretTokens } from './auth/secret-tokens';
import { StaffService } from './auth/staff.service';
import { StaffModule } from './auth/staff.module';
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
 * (vault:rotate, staff:create) a framework would add more surface than it saves.
 * stdout carries only the command's output; JSON logs go to stderr.
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

/** `--name value` flags and bare `--switch` flags; anything else is a usage error. */
function parseFlags(args: string[], valued: string[], switches: string[] = []): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let index = 0; index < args.length; index += 1) {
    const flag = args[index] ?? '';
    if (switches.includes(flag)) {
      flags.set(flag, true);
    } else if (valued.includes(flag) && index + 1 < args.length) {
      flags.set(flag, args[index + 1] ?? '');
      index += 1;
    } else {
      throw new UsageError(valued.includes(flag) ? `${flag} needs a value` : `unknown argument ${flag}`);
    }
  }
  return flags;
}

function readIntegerFlag(
  flags: Map<string, string | true>,
  name: string,
  fallback: number,
  max: number,
): number {
  const text = flags.get(name);
  if (text === undefined) {
    return fallback;
  }
  const value = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || value < 1 || value > max) {
    throw new UsageError(`${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

function requiredFlag(flags: Map<string, string | true>, name: string): string {
  const value = flags.get(name);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`${name} is required`);
  }
  return value.trim();
}

/** All of stdin, without the one line break `echo` or a heredoc adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const COMMANDS: Record<string, Command> = {
  'vault:rotate': {
    usage: 'vault:rotate [--batch-size N]   re-seal every stored secret under the active vault key',
    imports: [VaultModule],
    prepare(args) {
      const batchSize = readIntegerFlag(parseFlags(args, ['--batch-size']), '--batch-size', 100, 10000);
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
  'staff:create': {
    usage:
      'staff:create --email E --name N --role admin|operator|viewer [--password-stdin]\n' +
      '                                  create a staff user; without --password-stdin a password is generated and printed once',
    imports: [StaffModule],
    prepare(args) {
      const flags = parseFlags(args, ['--email', '--name', '--role'], ['--password-stdin']);
      const email = requiredFlag(flags, '--email');
      const name = requiredFlag(flags, '--name');
      const role = requiredFlag(flags, '--role');
      if (!(STAFF_ROLES as readonly string[]).includes(role)) {
        throw new UsageError(`--role must be one of ${STAFF_ROLES.join(', ')}`);
      }
      return async (app) => {
        const fromStdin = flags.has('--password-stdin');
        const password = fromStdin ? await readStdin() : app.get(SecretTokens).newSecret();
        if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
          throw new UsageError(
            `the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
          );
        }
        const user = await app.get(StaffService).create({ email, name, role: role as StaffRole, password });
        print(`staff:create done id=${user.id} email=${user.email} role=${user.role}`);
        if (!fromStdin) {
          // The one time this password exists outside its hash: shown here, never logged.
          print(`staff:create password (shown once): ${password}`);
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
    'Usage: npm run cli -- <command>   (--help: this text)',
    ...Object.values(COMMANDS).map((command) => `  ${command.usage}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    print(usage());
    return 0;
  }
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
