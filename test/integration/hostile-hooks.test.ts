import { describe, expect, it } from 'vitest';
import type { ResilientStreamError } from '../../src/index.js';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

useCleanup();

const codes = (errors: Error[]): string[] => [...new Set(errors.map((error) => (error as ResilientStreamError).code))];

describe('hooks that throw anything: reported, never a crash, the stream goes on', () => {
  it.each([
    ['isData', null, { isData: () => { throw null; } }],
    ['topicOf', Symbol('t'), { topicOf: () => { throw Symbol('t'); } }],
    ['sequence', undefined, { sequence: () => { throw undefined; } }],
    ['heartbeat.isPong', Object.create(null), { heartbeat: { intervalMs: 1_000, timeoutMs: 1_000, isPong: () => { throw Object.create(null); } } }],
  ])('a %s that throws %s is RS_LISTENER for each message; every message is still delivered', async (name, _thrown, options) => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const stream = jsonStream(feed, { topics: ['a'], ...(options as object) });
    let delivered = 0;
    stream.on('message', () => delivered++);
    stream.start();
    await waitForState(stream, 'open');
    await sleep(150);
    expect(stream.state).toBe('open');
    expect(delivered).toBeGreaterThan(3);
    expect(codes(stream.errors)).toEqual(['RS_LISTENER']);
    expect(stream.errors[0]!.message.startsWith(`${name} threw: `)).toBe(true);
  });

  it('a logger whose every method throws changes nothing: the stream opens and delivers, nothing is emitted for it', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const boom = (): never => { throw new Error('logger down'); };
    const stream = jsonStream(feed, { topics: ['a'], logger: { debug: boom, info: boom, warn: boom, error: boom } });
    stream.start();
    await waitForEvent(stream, 'message', (message: FeedMessage) => message.topic === 'a');
    expect(stream.state).toBe('open');
    expect(stream.errors).toEqual([]);
  });

  it('a shouldReconnect that throws a string is RS_LISTENER, and the stream reconnects anyway', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { shouldReconnect: () => { throw 'nope'; } }).start();
    await waitForState(stream, 'open');
    const reopened = waitForEvent(stream, 'open', (event) => event.isReconnect);
    feed.faults.closeAll(1011, 'restart');
    await reopened;
    expect(stream.errors.map((error) => error.message)).toContain('shouldReconnect threw: nope; reconnecting anyway.');
  });
});

describe('a url function that hangs or throws null', () => {
  it('one that never settles times out each attempt (RS_CONNECT_TIMEOUT) and keeps retrying', async () => {
    const stream = jsonStream(await openFeed(), { url: () => new Promise<string>(() => {}), connectTimeoutMs: 100, backoff: { initialDelayMs: 20, maxDelayMs: 40 } }).start();
    await sleep(450);
    expect(codes(stream.errors)).toEqual(['RS_CONNECT_TIMEOUT']);
    expect(stream.errors.length).toBeGreaterThanOrEqual(2);
    expect(['connecting', 'reconnecting']).toContain(stream.state);
  });

  it('one that throws null fails each dial (RS_CONNECT_FAILED, naming the value) and keeps retrying', async () => {
    const stream = jsonStream(await openFeed(), { url: () => { throw null; }, backoff: { initialDelayMs: 20, maxDelayMs: 40 } }).start();
    await sleep(300);
    expect(codes(stream.errors)).toEqual(['RS_CONNECT_FAILED']);
    expect(stream.errors.length).toBeGreaterThanOrEqual(2);
    expect(stream.errors[0]!.message).toMatch(/null/);
  });
});
