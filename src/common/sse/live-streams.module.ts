import { Global, Module } from '@nestjs/common';

import { LiveStreams } from './live-streams';

/** One registry of open live streams per instance, shared by every module that streams. */
@Global()
@Module({ providers: [LiveStreams], exports: [LiveStreams] })
export class LiveStreamsModule {}
