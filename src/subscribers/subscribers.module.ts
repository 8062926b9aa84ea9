import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { IdGenerator } from './id-generator';
import { SubscriberEntity } from './subscriber.entity';
import { SubscriberTagEntity } from './subscriber-tag.entity';
import { SubscribersController } from './subscribers.controller';
import { SubscribersRepository } from './subscribers.repository';
import { SubscribersService } from './subscribers.service';

@Module({
  imports: [TypeOrmModule.forFeature([SubscriberEntity, SubscriberTagEntity])],
  controllers: [SubscribersController],
  providers: [SubscribersService, SubscribersRepository, IdGenerator],
  exports: [SubscribersService],
})
export class SubscribersModule {}
