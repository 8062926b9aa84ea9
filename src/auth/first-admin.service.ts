import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { SecretTokens } from './secret-tokens';
import { StaffService } from './staff.service';

export const SANDBOX_ADMIN_EMAIL = 'admin@sandbox.test';

/**
 * Where the one-time sandbox banner goes: a person at a terminal, never the JSON log (which is shipped and
 * kept). stdout carries that log, so the banner goes to stderr, and only when stderr is an interactive
 * terminal: a file, pipe or log collector there would keep the password.
 */
@Injectable()
export class Terminal {
  get isInteractive(): boolean {
    return process.stderr.isTTY === true;
  }

  print(text: string): void {
    process.stderr.write(text);
  }
}

/**
 * Makes sure an instance can be signed in to: with no staff user at boot, creates the admin of ADMIN_EMAIL /
 * ADMIN_PASSWORD, or in sandbox mode, when someone is at the terminal, a demo admin whose generated password
 * is shown once there (stderr).
 */
@Injectable()
export class FirstAdminService implements OnApplicationBootstrap {
  constructor(
    private readonly staff: StaffService,
    private readonly secrets: SecretTokens,
    private readonly config: AppConfig,
    private readonly terminal: Terminal,
    @InjectPinoLogger(FirstAdminService.name) private readonly logger: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.staff.count()) > 0) {
      return;
    }
    const configured = this.config.auth.firstAdmin;
    if (configured !== null) {
      if (await this.createAdmin(configured.email, 'Administrator', configured.password)) {
        this.logger.info({ email: configured.email }, 'Created the first admin from ADMIN_EMAIL');
      }
      return;
    }
    if (this.config.isSandbox && this.terminal.isInteractive) {
      const password = this.secrets.newSecret();
      if (await this.createAdmin(SANDBOX_ADMIN_EMAIL, 'Sandbox admin', password)) {
        this.terminal.print(sandboxBanner(SANDBOX_ADMIN_EMAIL, password));
      }
      return;
    }
    if (this.config.isSandbox) {
      // Nobody would ever see a generated password, so no admin with one is made.
      this.logger.warn(
        'No staff user exists and stderr is not a terminal, so no sandbox admin was created (its password ' +
          'would be shown nowhere). Set ADMIN_EMAIL and ADMIN_PASSWORD and restart, or run ' +
          '`npm run cli -- staff:create --email <email> --name <name> --role admin` (prints a password once).',
      );
      return;
    }
    this.logger.warn(
      'No staff user exists, so nobody can sign in. Set ADMIN_EMAIL and ADMIN_PASSWORD and restart, or run ' +
        '`npm run cli -- staff:create --email <email> --name <name> --role admin`.',
    );
  }

  /** False when another instance created a user with that email first. */
  private async createAdmin(email: string, name: string, password: string): Promise<boolean> {
    try {
      await this.staff.create({ email, name, role: 'admin', password });
      return true;
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.CONFLICT) {
        return false;
      }
      throw error;
    }
  }
}

function sandboxBanner(email: string, password: string): string {
  const lines = [
    'SANDBOX ADMIN created (no staff user existed; IPAAS_BASE_URL=sandbox).',
    `  email:    ${email}`,
    `  password: ${password}`,
    'Shown only this once. Sign in: POST /v1/auth/login; create real staff at /v1/staff.',
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const rule = `+${'-'.repeat(width + 2)}+`;
  return `${[rule, ...lines.map((line) => `| ${line.padEnd(width)} |`), rule].join('\n')}\n`;
}
