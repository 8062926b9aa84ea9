import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { Page, type PaginationQueryDto } from '../common/http/pagination';
import { OutboundHttp } from '../common/outbound/outbound-http';
import { Clock } from '../common/time/clock';
import { IdGenerator } from '../subscribers/id-generator';
import { VaultService } from '../vault/vault.service';
import { alertDestinationOwner, type SealContext } from '../vault/vault.types';
import { AlertDestinationEntity } from './alert-destination.entity';
import type {
  AlertDestinationDto,
  AlertDestinationWithSecretDto,
  CreateAlertDestinationDto,
} from './alerts.dto';
import { AlertsRepository } from './alerts.repository';
import { newWebhookSecret } from '../common/standard-webhooks';

export function signingSecretContext(destinationId: string): SealContext {
  return { owner: alertDestinationOwner(destinationId), kind: 'alert_signing_secret' };
}

function toView(entity: AlertDestinationEntity): AlertDestinationDto {
  return {
    id: entity.id,
    name: entity.name,
    url: entity.url,
    enabled: entity.enabled,
    createdAt: entity.createdAt.toISOString(),
  };
}

/** Webhook endpoints that receive alerts. The signing secret leaves the service only on creation or rotation. */
@Injectable()
export class AlertDestinationsService {
  constructor(
    private readonly repository: AlertsRepository,
    private readonly vault: VaultService,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly outbound: OutboundHttp,
  ) {}

  async create(input: CreateAlertDestinationDto): Promise<AlertDestinationWithSecretDto> {
    // Checked now (400 with the reason) and again before every delivery (a name may resolve elsewhere later).
    await this.outbound.assertCallable(input.url);
    const id = this.ids.newId();
    const now = this.clock.now();
    const secret = newWebhookSecret();
    const secretSealed = this.vault.seal(signingSecretContext(id), secret);
    const entity = Object.assign(new AlertDestinationEntity(), {
      id,
      name: input.name,
      url: input.url,
      enabled: input.enabled ?? true,
      secretSealed,
      keyId: this.vault.keyIdOf(secretSealed),
      createdAt: now,
      updatedAt: now,
    });
    await this.repository.insertDestination(entity);
    return { ...toView(entity), secret };
  }

  async list(query: PaginationQueryDto): Promise<Page<AlertDestinationDto>> {
    const [rows, total] = await this.repository.listDestinations(query.offset, query.pageSize);
    return Page.of(rows.map(toView), total, query);
  }

  async rotateSecret(id: string): Promise<AlertDestinationWithSecretDto> {
    const entity = await this.require(id);
    const secret = newWebhookSecret();
    const secretSealed = this.vault.seal(signingSecretContext(id), secret);
    await this.repository.replaceSecret(id, secretSealed, this.vault.keyIdOf(secretSealed), this.clock.now());
    return { ...toView(entity), secret };
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.deleteDestination(id, this.clock.now()))) {
      throw AppError.notFound(`Alert destination ${id}`);
    }
  }

  /** The plaintext secret, for signing only (the delivery loop). */
  openSecret(destination: AlertDestinationEntity): string {
    return this.vault.open(signingSecretContext(destination.id), destination.secretSealed);
  }

  private async require(id: string): Promise<AlertDestinationEntity> {
    const entity = await this.repository.findDestination(id);
    if (entity === null) {
      throw AppError.notFound(`Alert destination ${id}`);
    }
    return entity;
  }
}
