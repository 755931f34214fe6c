import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResilientStreamError, type StateEvent } from '../../src/index.js';
import { Resyncer } from '../../src/resyncer.js';
import { Rotator } from '../../src/rotator.js';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

// The browser build fetches the resyncer and the rotator on demand (src/lazy.browser.ts). Here the
// Node loaders are replaced by asynchronous ones, slow or failing at will, so the conductor's
// asynchronous path runs against a real server: start() waits for the part, close() while it loads
// never dials, a failed fetch fails the stream with RS_CONNECT_FAILED and the next start() fetches again.

const loaders = vi.hoisted(() => ({ delayMs: 50, failNext: 0, resyncerLoads: 0 }));
vi.mock('../../src/lazy.js', () => {
  const later = <T>(value: () => T): Promise<T> => new Promise((resolve, reject) => {
    const fail = loaders.failNext > 0;
    if (fail) loaders.failNext--;
    setTimeout(() => (fail ? reject(new TypeError('Failed to fetch dynamically imported module')) : resolve(value())), loaders.delayMs);
  });
  return {
    loadResyncer: () => { loaders.resyncerLoads++; return later(() => Resyncer); },
    loadRotator: () => later(() => Rotator),
  };
});

useCleanup();
afterEach(() => {
  loaders.delayMs = 50;
  loaders.failNext = 0;
  loaders.resyncerLoads = 0;
});

const sequenced = { topics: ['a'], sequence: (message: FeedMessage) => message.seq };

describe('optional parts loaded on demand (the browser build)', () => {
  it('start() dials once the resyncer is here; sequences are tracked from the first message', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const stream = jsonStream(feed, sequenced);
    const states: string[] = [];
    stream.on('state', ({ to }: StateEvent) => states.push(to));
    stream.start();
    expect(stream.state).toBe('idle');
    await waitForState(stream, 'open');
    expect(states).toEqual(['connecting', 'open']);
    // The resyncer is wired in: a gap is seen (and, with no resync hook, skipped and counted).
    await waitForEvent(stream, 'message', (message) => (message as FeedMessage).topic === 'a', 5_000);
    const gap = waitForEvent(stream, 'gap', () => true, 5_000);
    feed.faults.gap(3, 'a');
    expect(await gap).toMatchObject({ topic: 'a' });
    expect(stream.health().gaps).toBe(1);
    expect(feed.connectionsAccepted).toBe(1);
  });

  it('rotate() waits for the rotator and rotates without a gap', async () => {
    const feed = await openFeed({ messagesPerSecond: 200 });
    const stream = jsonStream(feed, sequenced).start();
    await waitForState(stream, 'open');
    const rotated = waitForEvent(stream, 'rotated', () => true, 5_000);
    await stream.rotate();
    expect(await rotated).toMatchObject({ reason: 'manual', gapless: true });
    expect(stream.health().rotations).toBe(1);
  });

  it('the rotate option arms age rotations once the rotator arrives after the socket went live', async () => {
    loaders.delayMs = 300;
    const feed = await openFeed({ messagesPerSecond: 200 });
    const stream = jsonStream(feed, { ...sequenced, rotate: { maxAgeMs: 600, overlapMs: 2_000 } }).start();
    await waitForState(stream, 'open');
    expect(await waitForEvent(stream, 'rotated', () => true, 5_000)).toMatchObject({ reason: 'age', gapless: true });
  });

  it('close() while the resyncer loads: nothing is dialed, ever', async () => {
    loaders.delayMs = 100;
    const feed = await openFeed();
    const stream = jsonStream(feed, sequenced).start();
    await stream.close();
    await sleep(250);
    expect(stream.state).toBe('closed');
    expect(feed.connectionsAccepted).toBe(0);
  });

  it('a failed fetch fails the stream with RS_CONNECT_FAILED (cause kept); the next start() fetches again and connects', async () => {
    loaders.failNext = 1;
    const feed = await openFeed();
    const stream = jsonStream(feed, sequenced);
    const failed = waitForEvent(stream, 'error', () => true, 5_000);
    stream.start();
    stream.start(); // a second start() while loading must not double-report
    const error = (await failed) as ResilientStreamError;
    expect(error.code).toBe('RS_CONNECT_FAILED');
    expect(error.message).toContain('Expected to load the resync code');
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(stream.state).toBe('failed');
    expect(stream.errors.filter((e) => (e as ResilientStreamError).code === 'RS_CONNECT_FAILED')).toHaveLength(1);
    stream.start();
    await waitForState(stream, 'open');
    expect(loaders.resyncerLoads).toBe(2);
    expect(feed.connectionsAccepted).toBe(1);
  });
});
