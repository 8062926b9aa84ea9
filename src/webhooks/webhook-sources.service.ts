import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import { AppError, type FieldProblem } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Page, type PaginationQueryDto } from '../common/http/pagination';
import { newWebhookSecret } from '../common/standard-webhooks';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { TemplatesService } from '../provisioning/templates/templates.service';
import { IdGenerator } from '../subscribers/id-generator';
import { VaultService } from '../vault/vault.service';
import { type SealContext, webhookSourceOwner } from '../vault/vault.types';
import type { DefaultedVars } from './webhook-mapping';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { WebhookSourceSecretEntity } from './webhook-source-secret.entity';
import { WebhookSourceEntity } from './webhook-source.entity';
import type { HmacScheme, WebhookRule, WebhookScheme } from './webhook.types';
import { JOB_ACTIONS } from './webhook.types';
import type {
  CreateWebhookSourceDto,
  UpdateWebhookSourceDto,
  WebhookSecretCreatedDto,
  WebhookSecretDto,
  WebhookSourceCreatedDto,
  WebhookSourceDto,
} from './webhooks.dto';
import { WebhooksRepository } from './webhooks.repository';

const HMAC_SECRET_BYTES = 32;
/**
 * How long the receiver reuses a source read from the database (two queries and a decryption per delivery
 * otherwise). Changes made on this instance apply at once; on other instances within this time.
 */
const SOURCE_CACHE_MS = 2000;

function secretContext(secretId: string): SealContext {
  return { owner: webhookSourceOwner(secretId), kind: 'webhook_signing_secret' };
}

/** A source as the receiver needs it: settings parsed, secrets opened. */
export interface VerifiableSource {
  entity: WebhookSourceEntity;
  scheme: WebhookScheme;
  hmac: HmacScheme | null;
  rules: WebhookRule[];
  /** The variables with a default, per template of the rules (a payload may leave them out). */
  defaulted: DefaultedVars;
  secrets: string[];
}

export function parseSource(entity: WebhookSourceEntity): { hmac: HmacScheme | null; rules: WebhookRule[] } {
  return {
    hmac: entity.hmacSettings === null ? null : (JSON.parse(entity.hmacSettings) as HmacScheme),
    rules: JSON.parse(entity.rules) as WebhookRule[],
  };
}

/**
 * An HMAC source must let the receiver refuse a replayed delivery. It signs only the body (and the
 * timestamp when it has one), so: the delivery id deduplicates only when it is inside the signed body
 * (`idField`); a header id (`idHeader`) is not signed, so it needs a signed timestamp, within whose 5-minute
 * tolerance the digest of the signed bytes deduplicates. Neither: a captured delivery could be resent under a
 * new id forever, so the configuration is refused.
 */
export function hmacReplayProblems(hmac: HmacScheme): FieldProblem[] {
  if (hmac.idHeader === undefined && hmac.idField === undefined) {
    return [{ field: 'hmac', message: 'needs idHeader or idField (the delivery id deduplicates)' }];
  }
  if (hmac.idHeader !== undefined && hmac.idField !== undefined) {
    return [{ field: 'hmac', message: 'set idHeader or idField, not both (one delivery id)' }];
  }
  if (hmac.idField === undefined && hmac.timestampHeader === undefined) {
    return [
      {
        field: 'hmac',
        message:
          'the signature covers neither a timestamp nor the delivery id (a header is not signed), so a captured ' +
          'delivery could be replayed under a new id: set timestampHeader (a signed timestamp with a 5-minute ' +
          'tolerance) or idField (the delivery id inside the signed body) instead of idHeader alone',
      },
    ];
  }
  return [];
}

function secretView(secret: WebhookSourceSecretEntity): WebhookSecretDto {
  return {
    id: secret.id,
    createdAt: secret.createdAt.toISOString(),
    retiredAt: secret.retiredAt?.toISOString() ?? null,
  };
}

function toView(entity: WebhookSourceEntity, secrets: WebhookSourceSecretEntity[]): WebhookSourceDto {
  const { hmac, rules } = parseSource(entity);
  return {
    id: entity.id,
    name: entity.name,
    scheme: entity.scheme,
    hmac,
    eventTypeField: entity.eventTypeField,
    rules,
    rateLimitPerSecond: entity.rateLimitPerSecond,
    enabled: entity.enabled,
    receiverPath: `/v1/webhooks/${entity.id}`,
    secrets: secrets.filter((secret) => secret.sourceId === entity.id).map(secretView),
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}

/** Webhook sources and their signing secrets. A secret leaves the service only in the response creating it. */
@Injectable()
export class WebhookSourcesService {
  private readonly cache = new Map<string, { source: VerifiableSource | null; expiresAtMs: number }>();
  /** Template versions never change once saved: their defaulted variables are read once per version. */
  private readonly defaultsByTemplate = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly transactions: Transactions,
    private readonly templates: TemplatesService,
    private readonly vault: VaultService,
    private readonly rateLimiter: WebhookRateLimiter,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly config: AppConfig,
  ) {}

  async create(input: CreateWebhookSourceDto): Promise<WebhookSourceCreatedDto> {
    const scheme = input.scheme ?? 'standard_webhooks';
    await this.refuseInvalid(scheme, input.hmac ?? null, input.rules);
    const now = this.clock.now();
    const entity: WebhookSourceEntity = {
      id: this.ids.newId(),
      name: input.name,
      scheme,
      hmacSettings: scheme === 'hmac_sha256' ? JSON.stringify(input.hmac) : null,
      eventTypeField: input.eventTypeField ?? 'type',
      rules: JSON.stringify(input.rules),
      rateLimitPerSecond: input.rateLimitPerSecond ?? this.config.webhooks.rateLimitPerSecond,
      enabled: true,
      createdAt: now,
      updatedAt: now,
    };
    const { row, secret } = this.newSecret(entity);
    await this.transactions.run(async (manager) => {
      await this.repository.insertSource(manager, entity);
      await this.repository.insertSecret(manager, row);
    });
    return { ...toView(entity, [row]), secret };
  }

  async list(query: PaginationQueryDto): Promise<Page<WebhookSourceDto>> {
    const [rows, total] = await this.repository.pageSources(query.offset, query.pageSize);
    const secrets = await this.repository.secretsOf(rows.map((row) => row.id));
    return Page.of(
      rows.map((row) => toView(row, secrets)),
      total,
      query,
    );
  }

  async get(id: string): Promise<WebhookSourceDto> {
    const entity = await this.require(id);
    return toView(entity, await this.repository.secretsOf([id]));
  }

  async update(id: string, input: UpdateWebhookSourceDto): Promise<WebhookSourceDto> {
    const entity = await this.require(id);
    if (input.rules !== undefined) {
      await this.refuseInvalid(entity.scheme, parseSource(entity).hmac, input.rules);
    }
    await this.repository.updateSource(id, {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.rules === undefined ? {} : { rules: JSON.stringify(input.rules) }),
      ...(input.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: input.rateLimitPerSecond }),
      ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
      updatedAt: this.clock.now(),
    });
    this.cache.delete(id);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.transactions.run((manager) => this.repository.deleteSource(manager, id)))) {
      throw AppError.notFound(`Webhook source ${id}`);
    }
    this.rateLimiter.forget(id);
    this.cache.delete(id);
  }

  /** Adds an active secret; the older ones stay valid until retired (rotation without downtime). */
  async addSecret(id: string): Promise<WebhookSecretCreatedDto> {
    const entity = await this.require(id);
    const { row, secret } = this.newSecret(entity);
    await this.transactions.run((manager) => this.repository.insertSecret(manager, row));
    this.cache.delete(id);
    return { ...secretView(row), secret };
  }

  async retireSecret(id: string, secretId: string): Promise<void> {
    await this.require(id);
    if ((await this.repository.findSecret(id, secretId)) === null) {
      throw AppError.notFound(`Secret ${secretId} of webhook source ${id}`);
    }
    const retired = await this.transactions.run((manager) =>
      this.repository.retireSecret(manager, id, secretId, this.clock.now()),
    );
    this.cache.delete(id);
    if (!retired) {
      throw new AppError(
        ErrorCode.CONFLICT,
        'This secret is already retired, or it is the last active one: add a new secret before retiring it',
      );
    }
  }

  /** The source with its active secrets opened, or null when it is unknown or disabled. */
  async verifiable(id: string): Promise<VerifiableSource | null> {
    const now = this.clock.nowMs();
    const cached = this.cache.get(id);
    if (cached !== undefined && cached.expiresAtMs > now) {
      return cached.source;
    }
    const source = await this.load(id);
    // Unknown ids are not cached: a scanner must not grow the map.
    if (source !== null) {
      this.cache.set(id, { source, expiresAtMs: now + SOURCE_CACHE_MS });
    }
    return source;
  }

  private async load(id: string): Promise<VerifiableSource | null> {
    const entity = await this.repository.findSource(id);
    if (entity === null || !entity.enabled) {
      return null;
    }
    const secrets = await this.repository.activeSecretsOf(id);
    const parsed = parseSource(entity);
    return {
      entity,
      scheme: entity.scheme,
      ...parsed,
      defaulted: await this.defaultedVars(parsed.rules),
      secrets: secrets.map((secret) => this.vault.open(secretContext(secret.id), secret.secretSealed)),
    };
  }

  /** Per template of `rules`, its variables that have a default (a template no longer there: none). */
  async defaultedVars(rules: readonly WebhookRule[]): Promise<DefaultedVars> {
    const ids = [
      ...new Set(rules.flatMap((rule) => (rule.templateId === undefined ? [] : [rule.templateId]))),
    ];
    const entries = await Promise.all(
      ids.map(async (templateId) => {
        let known = this.defaultsByTemplate.get(templateId);
        if (known === undefined) {
          known = this.templates.getVersion(templateId).then(
            ({ spec }) =>
              new Set(
                (spec.variables ?? [])
                  .filter((variable) => variable.default !== undefined)
                  .map((variable) => variable.name),
              ),
            (error: unknown) => {
              this.defaultsByTemplate.delete(templateId);
              if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) {
                return new Set<string>();
              }
              throw error;
            },
          );
          this.defaultsByTemplate.set(templateId, known);
        }
        return [templateId, await known] as const;
      }),
    );
    return new Map(entries);
  }

  private newSecret(source: WebhookSourceEntity): { row: WebhookSourceSecretEntity; secret: string } {
    const secret =
      source.scheme === 'standard_webhooks'
        ? newWebhookSecret()
        : randomBytes(HMAC_SECRET_BYTES).toString('base64url');
    const id = this.ids.newId();
    const secretSealed = this.vault.seal(secretContext(id), secret);
    return {
      secret,
      row: {
        id,
        sourceId: source.id,
        secretSealed,
        keyId: this.vault.keyIdOf(secretSealed),
        createdAt: this.clock.now(),
        retiredAt: null,
      },
    };
  }

  /** Checks what class-validator cannot: the scheme's settings, one rule per event type, the templates. */
  private async refuseInvalid(
    scheme: WebhookScheme,
    hmac: HmacScheme | null,
    rules: readonly WebhookRule[],
  ): Promise<void> {
    const problems: FieldProblem[] = [];
    if (scheme === 'hmac_sha256' && hmac === null) {
      problems.push({ field: 'hmac', message: 'is required for the hmac_sha256 scheme' });
    }
    if (scheme === 'hmac_sha256' && hmac !== null) {
      problems.push(...hmacReplayProblems(hmac));
    }
    if (scheme === 'standard_webhooks' && hmac !== null) {
      problems.push({ field: 'hmac', message: 'is only for the hmac_sha256 scheme' });
    }
    const seen = new Set<string>();
    for (const [index, rule] of rules.entries()) {
      const field = `rules.${index}`;
      if (seen.has(rule.eventType)) {
        problems.push({ field: `${field}.eventType`, message: `${rule.eventType} has an earlier rule` });
      }
      seen.add(rule.eventType);
      if (!JOB_ACTIONS.includes(rule.action)) {
        if (rule.templateId !== undefined || rule.vars !== undefined) {
          problems.push({ field, message: `templateId and vars are only for onboard and reapply` });
        }
        continue;
      }
      if (rule.templateId === undefined) {
        problems.push({ field: `${field}.templateId`, message: `is required for ${rule.action}` });
      } else if (!(await this.templateExists(rule.templateId))) {
        problems.push({
          field: `${field}.templateId`,
          message: 'no provisioning template version has this id',
        });
      }
    }
    if (problems.length > 0) {
      throw AppError.validation(problems);
    }
  }

  private templateExists(templateId: string): Promise<boolean> {
    return this.templates.get(templateId).then(
      () => true,
      (error: unknown) => {
        if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) {
          return false;
        }
        throw error;
      },
    );
  }

  private async require(id: string): Promise<WebhookSourceEntity> {
    const entity = await this.repository.findSource(id);
    if (entity === null) {
      throw AppError.notFound(`Webhook source ${id}`);
    }
    return entity;
  }
}
