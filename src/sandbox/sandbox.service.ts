import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppConfig } from '../config/app-config';
import { DEFAULT_SEED, startEmulator, type StartedEmulator } from '../ipaas-emulator';

export interface SandboxLogin {
  email: string;
  password: string;
}

/**
 * Starts the built-in iPaaS.com emulator in-process when IPAAS_BASE_URL=sandbox. This launcher is the only
 * application code that imports the emulator; business modules see a base URL like any other.
 */
@Injectable()
export class SandboxService implements OnApplicationShutdown {
  private emulator: StartedEmulator | undefined;

  constructor(
    private readonly config: AppConfig,
    @InjectPinoLogger(SandboxService.name) private readonly logger: PinoLogger,
  ) {}

  get enabled(): boolean {
    return this.config.isSandbox;
  }

  /** The vendor base URL: the emulator's when sandboxed (started on first use), the configured one otherwise. */
  async baseUrl(): Promise<string> {
    if (!this.config.isSandbox) {
      return this.config.ipaas.baseUrl;
    }
    if (this.emulator === undefined) {
      this.emulator = await startEmulator({ port: this.config.sandboxPort, host: '127.0.0.1' });
      this.logger.warn(
        { sandbox: { url: this.emulator.url, controlPlane: `${this.emulator.url}/__emulator/` } },
        'iPaaS.com is EMULATED (IPAAS_BASE_URL=sandbox): no call reaches the real vendor. ' +
          'Set IPAAS_BASE_URL=https://api.ipaas.com to use the real API.',
      );
    }
    return this.emulator.url;
  }

  /** The emulator's demo MiSP login, preset as the MiSP account in sandbox mode. */
  demoMispLogin(): SandboxLogin | null {
    return this.config.isSandbox
      ? { email: DEFAULT_SEED.mispEmail, password: DEFAULT_SEED.mispPassword }
      : null;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.close();
    this.emulator = undefined;
  }
}
