import { Module } from '@nestjs/common';

import { SandboxService } from '../sandbox/sandbox.service';
import { IpaasClient, VENDOR_BASE_URL } from './ipaas-client';

@Module({
  providers: [
    {
      provide: VENDOR_BASE_URL,
      inject: [SandboxService],
      useFactory: (sandbox: SandboxService) => sandbox.baseUrl(),
    },
    IpaasClient,
  ],
  exports: [IpaasClient],
})
export class IpaasModule {}
