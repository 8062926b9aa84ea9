import { type DynamicModule, Global, Module } from '@nestjs/common';

import { Clock, SystemClock } from './clock';

@Global()
@Module({})
export class TimeModule {
  static forRoot(clock: Clock = new SystemClock()): DynamicModule {
    return { module: TimeModule, providers: [{ provide: Clock, useValue: clock }], exports: [Clock] };
  }
}
