import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';

import { ProvisioningTemplateEntity } from './provisioning-template.entity';

export interface RowPage {
  rows: ProvisioningTemplateEntity[];
  total: number;
}

@Injectable()
export class TemplatesRepository {
  constructor(
    @InjectRepository(ProvisioningTemplateEntity)
    private readonly templates: Repository<ProvisioningTemplateEntity>,
  ) {}

  /** Throws a unique violation when the name already has this version (a concurrent save won). */
  async insert(row: ProvisioningTemplateEntity): Promise<void> {
    await this.templates.insert(row);
  }

  findById(id: string): Promise<ProvisioningTemplateEntity | null> {
    return this.templates.findOneBy({ id });
  }

  async latestVersion(name: string): Promise<number | null> {
    const row = await this.templates
      .createQueryBuilder('t')
      .select('MAX(t.version)', 'version')
      .where('t.name = :name', { name })
      .getRawOne<{ version: number | string | null }>();
    return row?.version === null || row?.version === undefined ? null : Number(row.version);
  }

  /** The newest version of each template, by name. */
  async pageLatest(offset: number, limit: number): Promise<RowPage> {
    const [rows, total] = await this.templates
      .createQueryBuilder('t')
      .where((query) => {
        const newest = query
          .subQuery()
          .select('MAX(v.version)')
          .from(ProvisioningTemplateEntity, 'v')
          .where('v.name = t.name')
          .getQuery();
        return `t.version = ${newest}`;
      })
      .orderBy('t.name', 'ASC')
      .skip(offset)
      .take(limit)
      .getManyAndCount();
    return { rows, total };
  }

  /** Every version of one template, newest first. */
  async pageVersions(name: string, offset: number, limit: number): Promise<RowPage> {
    const [rows, total] = await this.templates.findAndCount({
      where: { name },
      order: { version: 'DESC' },
      skip: offset,
      take: limit,
    });
    return { rows, total };
  }
}
