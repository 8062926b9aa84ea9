import { Injectable } from '@nestjs/common';

import { AppConfig, type LiveStreamSettings } from '../../config/app-config';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';

/** What a refused client is told to wait: streams are long-lived, so a slot frees in seconds at best. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/** One open stream's slot; releasing it twice is harmless (a disconnect and a completion may both fire). */
export interface LiveStreamLease {
  release(): void;
}

/**
 * The open live streams (SSE) of this instance, by owner (the principal) and by topic (what is streamed, e.g.
 * `job:<id>`). A stream takes its slot synchronously, in one turn of the event loop, so concurrent opens can
 * never overshoot a cap; it gives it back when the client leaves or the stream ends. The by-topic count is
 * where one shared reader per topic can hang off later (one database poll per job fanned out to its
 * streams), instead of one poll per stream.
 */
@Injectable()
export class LiveStreams {
  private readonly settings: LiveStreamSettings;
  private total = 0;
  private readonly byOwner = new Map<string, number>();
  private readonly byTopic = new Map<string, number>();

  constructor(config: AppConfig) {
    this.settings = config.liveStreams;
  }

  /** Takes a slot, or throws 429 RATE_LIMITED with Retry-After when the owner's or the instance's cap is reached. */
  open(owner: string, topic: string): LiveStreamLease {
    const owned = this.byOwner.get(owner) ?? 0;
    if (owned >= this.settings.maxPerPrincipal) {
      throw this.refusal(
        `You already have ${owned} live streams open (SSE_MAX_STREAMS_PER_PRINCIPAL); close one first`,
      );
    }
    if (this.total >= this.settings.maxTotal) {
      throw this.refusal('This instance serves the most live streams it may (SSE_MAX_STREAMS); retry later');
    }
    this.total += 1;
    this.byOwner.set(owner, owned + 1);
    this.byTopic.set(topic, (this.byTopic.get(topic) ?? 0) + 1);
    let released = false;
    return {
      release: () => {
        if (released) {
          return;
        }
        released = true;
        this.total -= 1;
        decrement(this.byOwner, owner);
        decrement(this.byTopic, topic);
      },
    };
  }

  /** Streams open now: in all, of one owner, on one topic. */
  count(filter: { owner?: string; topic?: string } = {}): number {
    if (filter.owner !== undefined) {
      return this.byOwner.get(filter.owner) ?? 0;
    }
    if (filter.topic !== undefined) {
      return this.byTopic.get(filter.topic) ?? 0;
    }
    return this.total;
  }

  private refusal(detail: string): AppError {
    return new AppError(ErrorCode.RATE_LIMITED, detail, {
      headers: { 'Retry-After': String(STREAM_RETRY_AFTER_SECONDS) },
    });
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) {
    counts.delete(key);
  } else {
    counts.set(key, left);
  }
}
