import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Clock } from '../common/time/clock';
import {
  CredentialsService,
  type CredentialView,
  type MispAccountView,
} from '../credentials/credentials.service';
import { IpaasClient } from '../ipaas/ipaas-client';
import { VendorError } from '../ipaas/vendor-error';
import { SandboxService } from '../sandbox/sandbox.service';
import { SubscribersService } from '../subscribers/subscribers.service';
import { CompanyTokensService } from './company-tokens.service';
import { CompanyVendorService } from './company-vendor.service';

/** Staff operations on the secrets Tenantry calls iPaaS.com with: each is checked live before it is kept. */
@Injectable()
export class CompanyContextService implements OnApplicationBootstrap {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly subscribers: SubscribersService,
    private readonly tokens: CompanyTokensService,
    private readonly vendor: CompanyVendorService,
    private readonly client: IpaasClient,
    private readonly sandbox: SandboxService,
    private readonly clock: Clock,
    @InjectPinoLogger(CompanyContextService.name) private readonly logger: PinoLogger,
  ) {}

  /** In sandbox mode the emulator's demo MiSP login is stored (through the vault) so `npm start` just works. */
  async onApplicationBootstrap(): Promise<void> {
    const demo = this.sandbox.demoMispLogin();
    if (demo !== null && (await this.credentials.getMispAccount()) === null) {
      await this.credentials.saveMispLogin({ ...demo, vendorUserId: null, verifiedAt: null });
      this.logger.info(
        { email: demo.email },
        'sandbox: stored the emulator demo MiSP login as the MiSP account',
      );
    }
  }

  async replaceMispLogin(email: string, password: string): Promise<MispAccountView> {
    const login = await this.tokens.verifyMispLogin(email, password);
    const view = await this.credentials.saveMispLogin({
      email,
      password,
      vendorUserId: login.id,
      verifiedAt: this.clock.now(),
    });
    this.tokens.invalidateMispSession();
    return view;
  }

  async replaceWithApiKey(
    subscriberId: string,
    apiKey: string,
    verify: boolean,
    expiresAt: Date | null = null,
  ): Promise<CredentialView> {
    await this.subscribers.get(subscriberId);
    if (verify) {
      await this.checkApiKey(subscriberId, apiKey);
    }
    const view = await this.credentials.saveApiKey(
      subscriberId,
      apiKey,
      verify ? this.clock.now() : null,
      expiresAt,
    );
    this.tokens.invalidate(subscriberId);
    return view;
  }

  async replaceWithNewSession(subscriberId: string): Promise<CredentialView> {
    await this.tokens.renewSession(subscriberId);
    return this.credentials.getCredential(subscriberId);
  }

  async verifyCredential(subscriberId: string): Promise<CredentialView> {
    await this.vendor.call(subscriberId, 'listSubscriptions', { query: { pageNumber: 1, pageSize: 1 } });
    await this.credentials.markCredentialVerified(subscriberId, this.clock.now());
    return this.credentials.getCredential(subscriberId);
  }

  resetQuota(subscriberId: string): Promise<void> {
    return this.vendor.resetQuota(subscriberId);
  }

  /** A cheap authenticated read with the candidate key; nothing is stored when the vendor refuses it. */
  private async checkApiKey(subscriberId: string, apiKey: string): Promise<void> {
    try {
      await this.client.call('listSubscriptions', {
        lane: subscriberId,
        subscriberId,
        token: apiKey,
        query: { pageNumber: 1, pageSize: 1 },
      });
    } catch (error) {
      if (error instanceof VendorError && (error.kind === 'auth' || error.kind === 'forbidden')) {
        throw new AppError(
          ErrorCode.VENDOR_CREDENTIAL_REJECTED,
          `iPaaS.com refused the API key: ${error.message}`,
        );
      }
      throw error;
    }
  }
}
