import { type DynamicModule, Global, Module } from '@nestjs/common';

import { HostResolver, SystemHostResolver } from './host-resolver';
import { OutboundHttp } from './outbound-http';

/** The outbound HTTP guard for staff-configured URLs, available everywhere (one instance per app). */
@Global()
@Module({})
export class OutboundModule {
  static forRoot(resolver: HostResolver = new SystemHostResolver()): DynamicModule {
    return {
      module: OutboundModule,
      providers: [{ provide: HostResolver, useValue: resolver }, OutboundHttp],
      exports: [OutboundHttp],
    };
  }
}
