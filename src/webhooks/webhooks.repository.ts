import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, IsNull, LessThan, type Repository } from 'typeorm';

import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookSourceSecretEntity } from './webhook-source-secret.entity';
import { WebhookSourceEntity } from './webhook-source.entity';
import { JOB_EVENT_STATUSES, type WebhookAction, type WebhookEventStatus } from './webhook.types';

/** Actions the webhook worker runs (the others become provisioning jobs). */
const WORKER_ACTIONS: WebhookAction[] = ['offboard', 'health_check'];
const JOB_ACTIONS: WebhookAction[] = ['onboard', 'reapply'];

export type EventOutcome = Pick<
  WebhookEventEntity,
  'status' | 'subscriberId' | 'jobId' | 'errorCode' | 'errorMessage' | 'processedAt'
>;

/** Storage of webhook sources, their secrets and the received events. */
/** The status of an event by the current state of its job `:jobId` (provisioning_jobs, read by table name). */
const JOB_OUTCOME_SQL = `CASE (SELECT j.state FROM provisioning_jobs j WHERE j.id = :jobId)
  WHEN 'succeeded' THEN 'job_succeeded'
  WHEN 'completed_with_errors' THEN 'job_failed' WHEN 'failed' THEN 'job_failed' WHEN 'cancelled' THEN 'job_failed'
  ELSE 'job_created' END`;

@Injectable()
export class WebhooksRepository {
  constructor(
    @InjectRepository(WebhookSourceEntity) private readonly sources: Repository<WebhookSourceEntity>,
    @InjectRepository(WebhookSourceSecretEntity)
    private readonly secrets: Repository<WebhookSourceSecretEntity>,
    @InjectRepository(WebhookEventEntity) private readonly events: Repository<WebhookEventEntity>,
  ) {}

  findSource(id: string): Promise<WebhookSourceEntity | null> {
    return this.sources.findOneBy({ id });
  }

  pageSources(offset: number, limit: number): Promise<[WebhookSourceEntity[], number]> {
    return this.sources.findAndCount({ order: { createdAt: 'ASC', id: 'ASC' }, skip: offset, take: limit });
  }

  async insertSource(manager: EntityManager, source: WebhookSourceEntity): Promise<void> {
    await manager.insert(WebhookSourceEntity, source);
  }

  async updateSource(id: string, patch: Partial<WebhookSourceEntity>): Promise<void> {
    await this.sources.update({ id }, patch);
  }

  async deleteSource(manager: EntityManager, id: string): Promise<boolean> {
    await manager.delete(WebhookSourceSecretEntity, { sourceId: id });
    return ((await manager.delete(WebhookSourceEntity, { id })).affected ?? 0) > 0;
  }

  secretsOf(sourceIds: string[]): Promise<WebhookSourceSecretEntity[]> {
    return this.secrets.find({ where: { sourceId: In(sourceIds) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  activeSecretsOf(sourceId: string): Promise<WebhookSourceSecretEntity[]> {
    return this.secrets.findBy({ sourceId, retiredAt: IsNull() });
  }

  async insertSecret(manager: EntityManager, secret: WebhookSourceSecretEntity): Promise<void> {
    await manager.insert(WebhookSourceSecretEntity, secret);
  }

  /** Retires one active secret unless it is the source's last active one; false when nothing was retired. */
  async retireSecret(manager: EntityManager, sourceId: string, secretId: string, at: Date): Promise<boolean> {
    const active = await manager.countBy(WebhookSourceSecretEntity, { sourceId, retiredAt: IsNull() });
    if (active <= 1) {
      return false;
    }
    const result = await manager.update(
      WebhookSourceSecretEntity,
      { id: secretId, sourceId, retiredAt: IsNull() },
      { retiredAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  findSecret(sourceId: string, secretId: string): Promise<WebhookSourceSecretEntity | null> {
    return this.secrets.findOneBy({ id: secretId, sourceId });
  }

  findEvent(id: string): Promise<WebhookEventEntity | null> {
    return this.events.findOneBy({ id });
  }

  findEventByWebhookId(sourceId: string, webhookId: string): Promise<WebhookEventEntity | null> {
    return this.events.findOneBy({ sourceId, webhookId });
  }

  findEventBySignedDigest(sourceId: string, signedDigest: string): Promise<WebhookEventEntity | null> {
    return this.events.findOneBy({ sourceId, signedDigest });
  }

  pageEvents(
    filter: { sourceId?: string; status?: WebhookEventStatus },
    offset: number,
    limit: number,
  ): Promise<[WebhookEventEntity[], number]> {
    return this.events.findAndCount({
      where: {
        ...(filter.sourceId === undefined ? {} : { sourceId: filter.sourceId }),
        ...(filter.status === undefined ? {} : { status: filter.status }),
      },
      order: { receivedAt: 'DESC', id: 'DESC' },
      skip: offset,
      take: limit,
    });
  }

  async insertEvent(manager: EntityManager, event: WebhookEventEntity): Promise<void> {
    await manager.insert(WebhookEventEntity, event);
  }

  /** Sets an event's outcome if it is still in one of `from` (and, when given, at `replays`). */
  /**
   * Moves an event on from one of `from`. An event whose job was just stored (`job_created`) takes its job's
   * outcome at once if the job already ended (read in the same statement: the job's end may have come before
   * the event named it, when the end's update of events by job found nothing to update).
   */
  async settle(
    id: string,
    from: { statuses: readonly WebhookEventStatus[]; replays?: number },
    patch: Partial<WebhookEventEntity>,
    manager: EntityManager = this.events.manager,
  ): Promise<boolean> {
    const { status, ...rest } = patch;
    const followsJob = status === 'job_created' && typeof patch.jobId === 'string';
    const query = manager
      .createQueryBuilder()
      .update(WebhookEventEntity)
      .set({
        ...rest,
        ...(status === undefined ? {} : { status: followsJob ? () => JOB_OUTCOME_SQL : status }),
      })
      .where('id = :id AND status IN (:...statuses)', {
        id,
        statuses: from.statuses,
        ...(followsJob ? { jobId: patch.jobId } : {}),
      });
    if (from.replays !== undefined) {
      query.andWhere('replays = :replays', { replays: from.replays });
    }
    return ((await query.execute()).affected ?? 0) > 0;
  }

  /** The events of a job follow it: `job_succeeded`, `job_failed`, or `job_created` again when it is reopened. */
  async followJob(jobId: string, status: WebhookEventStatus): Promise<void> {
    await this.events.update({ jobId, status: In(JOB_EVENT_STATUSES) }, { status });
  }

  /**
   * Events for the worker: offboards and health checks that wait; jobs whose submission did not follow their
   * acceptance by `orphanedBefore` (the process died in between); and any event whose claim is older than
   * `staleBefore` (its worker died).
   */
  async dueWorkerEvents(
    staleBefore: Date,
    orphanedBefore: Date,
    limit: number,
  ): Promise<WebhookEventEntity[]> {
    return this.events.find({
      where: [
        { status: 'accepted', action: In(WORKER_ACTIONS) },
        { status: 'accepted', action: In(JOB_ACTIONS), receivedAt: LessThan(orphanedBefore) },
        { status: 'processing', processedAt: LessThan(staleBefore) },
      ],
      order: { receivedAt: 'ASC' },
      take: limit,
    });
  }

  /** Claims a due worker event (compare-and-swap on its status and claim time). */
  async claim(event: WebhookEventEntity, at: Date): Promise<boolean> {
    const result = await this.events.update(
      {
        id: event.id,
        status: event.status,
        processedAt: event.processedAt === null ? IsNull() : event.processedAt,
      },
      { status: 'processing', processedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  async deleteEvent(id: string): Promise<void> {
    await this.events.delete({ id });
  }

  async pruneEvents(receivedBeforeMs: number): Promise<number> {
    // Epoch ms as a number: `delete()` criteria skip the column transformer, and a Date would not compare.
    const result = await this.events
      .createQueryBuilder()
      .delete()
      .where('received_at < :before', { before: receivedBeforeMs })
      .execute();
    return result.affected ?? 0;
  }
}
