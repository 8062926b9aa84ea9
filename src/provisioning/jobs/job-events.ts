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

/**
 * `Last-Event-ID` as the sequence number to resume after (anything else: from the start). An id `12.3` (a
 * progress event or a late event sent after event 12, see StreamIds) resumes after 12.
 */
export function parseLastEventId(header: string | undefined): number {
  const value = Math.floor(Number(header));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * The ids of one stream, unique and strictly increasing (as numbers), so a client can order and resume by them:
 * an event whose sequence number is past everything sent so far is sent under that number; anything else (a
 * progress event, an event that became visible late) under `<position>.<nnnnnn>`, a fraction after the position.
 * Resuming after such an id resumes after its position.
 */
const FRACTION_DIGITS = 6;

export class StreamIds {
  private position: number;
  private fraction = 0;

  constructor(start: number) {
    this.position = start;
  }

  /** The id to send an event of sequence number `seq` under (undefined: a progress event). */
  next(seq?: number): string {
    if (seq !== undefined && seq > this.position) {
      this.position = seq;
      this.fraction = 0;
      return String(seq);
    }
    this.fraction += 1;
    // Fixed width, so 10.000010 follows 10.000009 as a number too (a million ids after one event is far more
    // than a stream sends: a progress event per batch of events, and the rare late one).
    return `${this.position}.${String(this.fraction).padStart(FRACTION_DIGITS, '0')}`;
  }
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
    const ids = new StreamIds(floor);
    let lastSentMs = this.clock.nowMs();
    const sendNow = (event: MessageEvent): void => {
      lastSentMs = this.clock.nowMs();
      send(event);
    };
    await this.sendProgress(jobId, ids, sendNow);
    while (!isClosed()) {
      let sent = 0;
      // The job's current run: the end of an earlier run (a job retried or resumed since) is not replayed, so a
      // client never sees a stale `job.finished` before the current one.
      const run = (await this.ledger.findJob(jobId))?.run ?? 1;
      for (let cursor = floor, full = true; full && !isClosed();) {
        const events = await this.ledger.eventsAfter(jobId, cursor, BATCH);
        for (const event of events.filter((candidate) => !recent.has(candidate.seq))) {
          recent.set(event.seq, event.at.getTime());
          if (isEarlierRunsEnd(event, run)) {
            continue;
          }
          sendNow(toMessage(event, ids.next(event.seq)));
          sent += 1;
        }
        full = events.length === BATCH;
        cursor = events.at(-1)?.seq ?? cursor;
      }
      floor = this.settle(floor, recent);
      const job = await this.ledger.findJob(jobId);
      if (sent > 0 || job === null) {
        await this.sendProgress(jobId, ids, sendNow);
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
   * The item counts now. Its id (Nest would otherwise number it) follows the last event sent, so a client
   * reconnecting with it as `Last-Event-ID` resumes after the last real event it saw.
   */
  private async sendProgress(
    jobId: string,
    ids: StreamIds,
    send: (event: MessageEvent) => void,
  ): Promise<void> {
    const [job, totals] = await Promise.all([this.ledger.findJob(jobId), this.ledger.countItems(jobId)]);
    send({
      id: ids.next(),
      type: 'progress',
      data: { state: job?.state ?? null, counts: totals.counts, vendorCalls: totals.vendorCalls },
    });
  }
}

/** A `job.finished` of a run before `run` (the job was reopened since). */
function isEarlierRunsEnd(event: ProvisioningEventEntity, run: number): boolean {
  if (event.type !== 'job.finished') {
    return false;
  }
  const ended = (JSON.parse(event.payload) as { run?: unknown }).run;
  // Ends written before runs were numbered belong to the first run.
  return (typeof ended === 'number' ? ended : 1) < run;
}

function toMessage(event: ProvisioningEventEntity, id: string): MessageEvent {
  return {
    id,
    type: event.type,
    data: {
      ...(JSON.parse(event.payload) as Record<string, unknown>),
      itemId: event.itemId,
      at: event.at.toISOString(),
    },
  };
}
