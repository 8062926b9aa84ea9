import { Injectable } from '@nestjs/common';

import type { Subscriber } from '../../subscribers/subscribers.service';
import { type RenderResult, renderTemplate } from '../templates/render-template';
import { type TemplateVersion, TemplatesService } from '../templates/templates.service';

/** Template versions never change once saved, so a handful is kept in memory by the workers. */
const CACHED_VERSIONS = 64;

/** The template side of a job: the version it runs and its rendering for one company. */
@Injectable()
export class JobTemplates {
  private readonly versions = new Map<string, Promise<TemplateVersion>>();

  constructor(private readonly templates: TemplatesService) {}

  /** The template version `id` (NOT_FOUND when there is none). */
  load(id: string): Promise<TemplateVersion> {
    const known = this.versions.get(id);
    if (known !== undefined) {
      return known;
    }
    if (this.versions.size >= CACHED_VERSIONS) {
      this.versions.clear();
    }
    const loading = this.templates.getVersion(id).catch((error: unknown) => {
      this.versions.delete(id);
      throw error;
    });
    this.versions.set(id, loading);
    return loading;
  }

  static render(
    template: TemplateVersion,
    subscriber: Pick<Subscriber, 'name' | 'ipaasCompanyId' | 'externalRef'>,
    vars: Record<string, string> | null,
  ): RenderResult {
    return renderTemplate(template.spec, {
      subscriber: {
        name: subscriber.name,
        ipaasCompanyId: subscriber.ipaasCompanyId,
        externalRef: subscriber.externalRef,
      },
      vars: vars ?? {},
    });
  }
}
