import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Page, type PaginationQueryDto } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { IdGenerator } from './id-generator';
import type { SubscriberEntity } from './subscriber.entity';
import { SubscribersRepository } from './subscribers.repository';

export interface CreateSubscriberInput {
  ipaasCompanyId: string;
  name: string;
}

export interface Subscriber {
  id: string;
  ipaasCompanyId: string;
  name: string;
  quotaExhaustedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

function toSubscriber(entity: SubscriberEntity): Subscriber {
  return {
    id: entity.id,
    ipaasCompanyId: entity.ipaasCompanyId,
    name: entity.name,
    quotaExhaustedUntil: entity.quotaExhaustedUntil,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}

/** The subscriber companies of the MiSP (minimal registry; the next issue grows it). */
@Injectable()
export class SubscribersService {
  constructor(
    private readonly subscribers: SubscribersRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateSubscriberInput): Promise<Subscriber> {
    const now = this.clock.now();
    const entity: SubscriberEntity = {
      id: this.ids.newId(),
      ipaasCompanyId: input.ipaasCompanyId,
      name: input.name,
      quotaExhaustedUntil: null,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.subscribers.insert(entity))) {
      throw new AppError(
        ErrorCode.CONFLICT,
        `A subscriber with iPaaS.com company id ${input.ipaasCompanyId} exists`,
      );
    }
    return toSubscriber(entity);
  }

  async get(id: string): Promise<Subscriber> {
    const entity = await this.subscribers.findById(id);
    if (entity === null) {
      throw AppError.notFound(`Subscriber ${id}`);
    }
    return toSubscriber(entity);
  }

  async findByCompanyId(ipaasCompanyId: string): Promise<Subscriber | null> {
    const entity = await this.subscribers.findByCompanyId(ipaasCompanyId);
    return entity === null ? null : toSubscriber(entity);
  }

  async list(query: PaginationQueryDto): Promise<Page<Subscriber>> {
    const [items, total] = await this.subscribers.findPage(
      (query.pageNumber - 1) * query.pageSize,
      query.pageSize,
    );
    return Page.of(items.map(toSubscriber), total, query);
  }

  /** Flags (or, with null, clears) the company's monthly quota exhaustion. */
  async setQuotaExhaustedUntil(id: string, until: Date | null): Promise<void> {
    if (!(await this.subscribers.updateQuotaExhaustedUntil(id, until, this.clock.now()))) {
      throw AppError.notFound(`Subscriber ${id}`);
    }
  }
}
