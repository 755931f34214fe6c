import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResilientStreamError, type StateEvent } from '../../src/index.js';
import type { PartName, Parts } from '../../src/lazy.js';
import { attachLogger } from '../../src/logging.js';
import { Pacer } from '../../src/pacer.js';
import { P2Quantile } from '../../src/quantile.js';
import { Resyncer } from '../../src/resyncer.js';
import { Rotator } from '../../src/rotator.js';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

// The browser build fetches the resyncer and the rotator on demand (src/lazy.browser.ts). Here the
// Node loaders are replaced by asynchronous ones, slow or failing at will, so the conductor's
// asynchronous path runs against a real server: start() waits for the part, close() while it loads
// never dials, a failed fetch fails the stream with RS_CONNECT_FAILED and the next start() fetches again.

const loaders = vi.hoisted(() => ({ delayMs: 50, failNext: 0, failOnly: undefined as string | undefined, resyncerLoads: 0 }));
vi.mock('../../src/lazy.js', () => {
  const all = (): Parts => ({ Resyncer, Rotator, attachLogger, P2Quantile, Pacer });
  const parts: Partial<Record<PartName, unknown>> = {};
  return {
    parts,
    loadPart: (name: PartName): Promise<void> | undefined => {
      if (parts[name] !== undefined) return undefined;
      if (name === 'Resyncer') loaders.resyncerLoads++;
      const fail = loaders.failNext > 0 && (loaders.failOnly === undefined || loaders.failOnly === name);
      if (fail) loaders.failNext--;
      return new Promise((resolve, reject) => setTimeout(() => {
        if (fail) return reject(new TypeError('Failed to fetch dynamically imported module'));
        parts[name] = all()[name];
        resolve();
      }, loaders.delayMs));
    },
    /** Forgets every part, so each test fetches again. */
    forget: () => { for (const name of Object.keys(parts)) delete parts[name as PartName]; },
  };
});

useCleanup();
afterEach(async () => {
  ((await import('../../src/lazy.js')) as unknown as { forget(): void }).forget();
  loaders.delayMs = 50;
  loaders.failNext = 0;
  loaders.failOnly = undefined;
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

  it('logger, rateLimit and adaptive staleness are wired in before the first dial: the logger sees the first state change', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const lines: string[] = [];
    const logger = { debug: (_: object, message: string) => lines.push(message), info: (_: object, message: string) => lines.push(message) };
    const stream = jsonStream(feed, { topics: ['a', 'b'], logger, rateLimit: { messagesPerSecond: 50 }, maxTopicsPerMessage: 1, staleAfterMs: { auto: true, warmupSamples: 5 } }).start();
    await waitForState(stream, 'open');
    await sleep(300);
    expect(lines[0]).toBe('state idle -> connecting');
    expect(stream.health().staleThresholdMs).toBeGreaterThan(0);
    expect(stream.health().messagesSent).toBe(2);
    expect(stream.errors).toEqual([]);
  });

  it('a rotation chunk that cannot be fetched is reported (the socket stays) and fetched again when the next socket goes live', async () => {
    loaders.failNext = 1;
    loaders.failOnly = 'Rotator';
    const feed = await openFeed({ messagesPerSecond: 100 });
    const stream = jsonStream(feed, { ...sequenced, rotate: { maxAgeMs: 400, overlapMs: 2_000 } });
    const failed = waitForEvent(stream, 'error', () => true, 5_000);
    stream.start();
    expect(await failed).toMatchObject({ code: 'RS_ROTATION_FAILED' });
    await waitForState(stream, 'open');
    stream.reconnect('next socket');
    expect(await waitForEvent(stream, 'rotated', () => true, 5_000)).toMatchObject({ reason: 'age', gapless: true });
    expect(stream.state).toBe('open');
    expect(stream.errors.map((e) => (e as ResilientStreamError).code)).toEqual(['RS_ROTATION_FAILED']);
  });

  it('a fetch failure with listeners that call back in: close() from the connecting state ends it quietly, start() from the error listener fetches again', async () => {
    const feed = await openFeed();
    loaders.failNext = 1;
    const closing = jsonStream(feed, sequenced);
    closing.on('state', ({ to }: StateEvent) => { if (to === 'connecting') void closing.close(); });
    closing.start();
    await waitForState(closing, 'closed');
    await sleep(150);
    expect(closing.errors).toEqual([]);
    expect(feed.connectionsAccepted).toBe(0);

    // The failed stream fetched again behind the scenes: forget the part so this one fetches too.
    ((await import('../../src/lazy.js')) as unknown as { forget(): void }).forget();
    loaders.failNext = 1;
    const restarting = jsonStream(feed, sequenced);
    restarting.once('error', () => restarting.start());
    restarting.start();
    await waitForState(restarting, 'open');
    expect(restarting.errors.map((e) => (e as ResilientStreamError).code)).toEqual(['RS_CONNECT_FAILED']);
    expect(feed.connectionsAccepted).toBe(1);
  });

  it('close() while the rotation chunk loads: no rotation, no error, nothing left running', async () => {
    loaders.delayMs = 150;
    const feed = await openFeed();
    const stream = jsonStream(feed, { ...sequenced, rotate: { maxAgeMs: 50 } });
    stream.start();
    await stream.close();
    await sleep(400);
    expect(stream.state).toBe('closed');
    expect(stream.health().rotations).toBe(0);
    expect(stream.errors).toEqual([]);
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
    expect(error.message).toContain('Expected to load an optional part');
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(stream.state).toBe('failed');
    expect(stream.errors.filter((e) => (e as ResilientStreamError).code === 'RS_CONNECT_FAILED')).toHaveLength(1);
    stream.start();
    await waitForState(stream, 'open');
    expect(loaders.resyncerLoads).toBe(2);
    expect(feed.connectionsAccepted).toBe(1);
  });
});
