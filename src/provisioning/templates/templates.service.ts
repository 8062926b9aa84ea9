import { Injectable } from '@nestjs/common';

import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, type PaginationQueryDto } from '../../common/http/pagination';
import { Clock } from '../../common/time/clock';
import { isUniqueViolation } from '../../database/unique-violation';
import { IdGenerator } from '../../subscribers/id-generator';
import { ProvisioningTemplateEntity } from './provisioning-template.entity';
import { checkPlaceholders, checkSemantics } from './template-checks';
import type { TemplateSpec } from './template-spec';
import type { CreateTemplateDto, TemplateResponseDto, UpdateTemplateDto } from './templates.dto';
import { TemplatesRepository } from './templates.repository';

/** What the ledger needs of a template version. */
export interface TemplateVersion {
  id: string;
  name: string;
  version: number;
  spec: TemplateSpec;
}

type Paging = Pick<PaginationQueryDto, 'pageNumber' | 'pageSize'>;

function toView(row: ProvisioningTemplateEntity): TemplateResponseDto {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    description: row.description,
    spec: JSON.parse(row.spec) as TemplateResponseDto['spec'],
    createdAt: row.createdAt,
    createdBy: row.createdBy,
  };
}

/** Versioned provisioning templates: a save validates the whole spec and never changes an existing version. */
@Injectable()
export class TemplatesService {
  constructor(
    private readonly templates: TemplatesRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateTemplateDto, actor: string): Promise<TemplateResponseDto> {
    TemplatesService.refuseInvalid(input.spec);
    if ((await this.templates.latestVersion(input.name)) !== null) {
      throw new AppError(
        ErrorCode.CONFLICT,
        `A template named ${input.name} exists; PUT /v1/provisioning/templates/{id} saves a new version of it`,
      );
    }
    return this.save(input.name, 1, input.description ?? null, input.spec, actor);
  }

  /** Saves a new version; `id` must be the latest one, so a stale editor cannot overwrite a newer version. */
  async update(id: string, input: UpdateTemplateDto, actor: string): Promise<TemplateResponseDto> {
    const current = await this.find(id);
    TemplatesService.refuseInvalid(input.spec);
    const latest = await this.templates.latestVersion(current.name);
    if (latest !== current.version) {
      throw new AppError(
        ErrorCode.CONFLICT,
        `Version ${current.version} of ${current.name} is not the latest (${latest}); update the latest version`,
      );
    }
    const description = input.description === undefined ? current.description : input.description;
    return this.save(current.name, current.version + 1, description, input.spec, actor);
  }

  async get(id: string): Promise<TemplateResponseDto> {
    return toView(await this.find(id));
  }

  async getVersion(id: string): Promise<TemplateVersion> {
    const row = await this.find(id);
    return { id: row.id, name: row.name, version: row.version, spec: JSON.parse(row.spec) as TemplateSpec };
  }

  async listLatest(query: Paging): Promise<Page<TemplateResponseDto>> {
    const { rows, total } = await this.templates.pageLatest(
      (query.pageNumber - 1) * query.pageSize,
      query.pageSize,
    );
    return Page.of(rows.map(toView), total, query);
  }

  async listVersions(id: string, query: Paging): Promise<Page<TemplateResponseDto>> {
    const { name } = await this.find(id);
    const { rows, total } = await this.templates.pageVersions(
      name,
      (query.pageNumber - 1) * query.pageSize,
      query.pageSize,
    );
    return Page.of(rows.map(toView), total, query);
  }

  /** The rules class-validator cannot express; the DTO has already checked shapes and limits. */
  private static refuseInvalid(spec: TemplateSpec): void {
    const problems = [...checkPlaceholders(spec, 'spec'), ...checkSemantics(spec, 'spec', false)];
    if (problems.length > 0) {
      throw AppError.validation(problems);
    }
  }

  private async find(id: string): Promise<ProvisioningTemplateEntity> {
    const row = await this.templates.findById(id);
    if (row === null) {
      throw AppError.notFound(`Provisioning template ${id}`);
    }
    return row;
  }

  private async save(
    name: string,
    version: number,
    description: string | null,
    spec: TemplateSpec,
    actor: string,
  ): Promise<TemplateResponseDto> {
    const row = Object.assign(new ProvisioningTemplateEntity(), {
      id: this.ids.newId(),
      name,
      version,
      description,
      spec: JSON.stringify(spec),
      createdAt: this.clock.now(),
      createdBy: actor,
    });
    try {
      await this.templates.insert(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          ErrorCode.CONFLICT,
          `Version ${version} of ${name} was saved meanwhile; read the latest version and try again`,
        );
      }
      throw error;
    }
    return toView(row);
  }
}
