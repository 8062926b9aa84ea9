import { type AppError } from '../errors/app-error';
import { loadConfig } from '../../config/load-config';
import { LiveStreams } from './live-streams';

function registry(perPrincipal: number, total: number): LiveStreams {
  return new LiveStreams(
    loadConfig({ SSE_MAX_STREAMS_PER_PRINCIPAL: String(perPrincipal), SSE_MAX_STREAMS: String(total) }),
  );
}

function refusalOf(open: () => unknown): AppError {
  try {
    open();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

describe('LiveStreams', () => {
  it('caps per owner, then in all, with a Retry-After', () => {
    const streams = registry(2, 3);
    streams.open('a', 'job:1');
    streams.open('a', 'job:2');
    const perOwner = refusalOf(() => streams.open('a', 'job:1'));
    expect(perOwner.detail).toContain('SSE_MAX_STREAMS_PER_PRINCIPAL');
    expect(perOwner.options.headers).toEqual({ 'Retry-After': '10' });
    streams.open('b', 'job:1');
    expect(refusalOf(() => streams.open('c', 'job:1')).detail).toContain('SSE_MAX_STREAMS');
    expect([streams.count(), streams.count({ owner: 'a' }), streams.count({ topic: 'job:1' })]).toEqual([
      3, 2, 2,
    ]);
  });

  it('gives a slot back once, however often the lease is released', () => {
    const streams = registry(1, 10);
    const lease = streams.open('a', 'job:1');
    lease.release();
    lease.release();
    expect(streams.count()).toBe(0);
    const next = streams.open('a', 'job:1');
    expect(streams.count({ owner: 'a' })).toBe(1);
    next.release();
    expect([streams.count(), streams.count({ owner: 'a' }), streams.count({ topic: 'job:1' })]).toEqual([
      0, 0, 0,
    ]);
  });
});
