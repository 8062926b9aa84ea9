import { type BeforeApplicationShutdown, Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';

import { Clock } from '../../common/time/clock';
import { AppConfig, type LiveStreamSettings } from '../../config/app-config';
import { LedgerRepository } from '../ledger/ledger.repository';
import { TERMINAL_JOB_STATES } from '../ledger/ledger.types';
import type { ProvisioningEventEntity } from '../ledger/provisioning-event.entity';

const POLL_MS = 250;
const BATCH = 1000;
/**
 * Sequence numbers are taken at insert but become visible at commit, so with several writers (instances on
 * PostgreSQL) an event may appear after a later one. Events stay "recent" this long: the stream keeps reading
 * from before them, so a late one is still sent (ids may then arrive out of order), and drops them after.
 */
const SETTLE_MS = 2000;

/** `Last-Event-ID` as a sequence number (anything else: from the start). */
export function parseLastEventId(header: string | undefined): number {
  const value = Number(header);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** A comment line (`: heartbeat`): clients ignore it; proxies and the client see the stream is alive. */
const HEARTBEAT: MessageEvent = { comment: 'heartbeat' };

/**
 * The live event stream of a job (SSE): its item transitions and job events as stored in
 * `provisioning_events` (so the work of every instance shows), plus a `progress` event with the item counts
 * whenever something happened. Polls every 250 ms; starts with a progress snapshot, then replays at most
 * SSE_REPLAY_EVENTS stored events (the latest ones, after `Last-Event-ID` when given: a 100,000-event history
 * is never sent whole to each of many clients); sends a heartbeat comment after SSE_HEARTBEAT_SECONDS of
 * silence; completes once the job has ended and its last events were sent.
 */
@Injectable()
export class JobEvents implements BeforeApplicationShutdown {
  private stopped = false;
  private readonly settings: LiveStreamSettings;

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.settings = config.liveStreams;
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
  }

  stream(jobId: string, lastEventId: number): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let closed = false;
      this.follow(
        jobId,
        lastEventId,
        (event) => subscriber.next(event),
        () => closed || this.stopped,
      )
        .then(() => subscriber.complete())
        .catch((error: unknown) => subscriber.error(error));
      return () => {
        closed = true;
      };
    });
  }

  private async follow(
    jobId: string,
    lastEventId: number,
    send: (event: MessageEvent) => void,
    isClosed: () => boolean,
  ): Promise<void> {
    // The snapshot stands in for the events not replayed; its id lets a reconnect resume after them.
    let floor = Math.max(lastEventId, await this.ledger.replayFloor(jobId, this.settings.replayEvents));
    const recent = new Map<number, number>();
    let endingSeen = false;
    let position = floor;
    let lastSentMs = this.clock.nowMs();
    const sendNow = (event: MessageEvent): void => {
      lastSentMs = this.clock.nowMs();
      send(event);
    };
    await this.sendProgress(jobId, position, sendNow);
    while (!isClosed()) {
      let sent = 0;
      for (let cursor = floor, full = true; full && !isClosed();) {
        const events = await this.ledger.eventsAfter(jobId, cursor, BATCH);
        for (const event of events.filter((candidate) => !recent.has(candidate.seq))) {
          sendNow(toMessage(event));
          recent.set(event.seq, event.at.getTime());
          position = Math.max(position, event.seq);
          sent += 1;
        }
        full = events.length === BATCH;
        cursor = events.at(-1)?.seq ?? cursor;
      }
      floor = this.settle(floor, recent);
      const job = await this.ledger.findJob(jobId);
      if (sent > 0 || job === null) {
        await this.sendProgress(jobId, position, sendNow);
      }
      if (job === null || TERMINAL_JOB_STATES.includes(job.state)) {
        // One more read after the end, for events written just after the job's state changed.
        if (endingSeen && sent === 0) {
          return;
        }
        endingSeen = true;
      }
      if (this.clock.nowMs() - lastSentMs >= this.settings.heartbeatMs) {
        sendNow(HEARTBEAT);
      }
      await this.clock.sleep(POLL_MS);
    }
  }

  /** Moves the read position past events that were sent long enough ago; returns the new position. */
  private settle(floor: number, recent: Map<number, number>): number {
    const settledBefore = this.clock.nowMs() - SETTLE_MS;
    let next = floor;
    for (const [seq, at] of recent) {
      if (at <= settledBefore && seq > next) {
        next = seq;
      }
    }
    for (const seq of recent.keys()) {
      if (seq <= next) {
        recent.delete(seq);
      }
    }
    return next;
  }

  /**
   * The item counts now. Its id is that of the last event sent (Nest would otherwise number it), so a client
   * reconnecting with it as `Last-Event-ID` resumes after the last real event it saw.
   */
  private async sendProgress(
    jobId: string,
    position: number,
    send: (event: MessageEvent) => void,
  ): Promise<void> {
    const [job, totals] = await Promise.all([this.ledger.findJob(jobId), this.ledger.countItems(jobId)]);
    send({
      id: String(position),
      type: 'progress',
      data: { state: job?.state ?? null, counts: totals.counts, vendorCalls: totals.vendorCalls },
    });
  }
}

function toMessage(event: ProvisioningEventEntity): MessageEvent {
  return {
    id: String(event.seq),
    type: event.type,
    data: {
      ...(JSON.parse(event.payload) as Record<string, unknown>),
      itemId: event.itemId,
      at: event.at.toISOString(),
    },
  };
}
