import { describe, expect, it } from 'vitest';
import type { ResilientStream, ResilientStreamError, ResyncContext } from '../../src/index.js';
import type { FeedServer } from '../../src/testing/index.js';
import { EventRecorder, sleep, waitForEvent } from '../helpers/events.js';
import { closeAfterEach, gate, openFeed, openStream, Replica, snapshotHook, subscribed, type Msg } from './resync-harness.js';

closeAfterEach();

describe('a failing resync hook', () => {
  const failures = {
    throws: () => {
      throw new Error('snapshot endpoint said 500');
    },
    rejects: () => Promise.reject(new Error('snapshot endpoint said 500')),
    'hangs past resyncTimeoutMs': () => new Promise<never>(() => {}),
  };

  for (const [name, fail] of Object.entries(failures)) {
    it(`${name}: RS_RESYNC, then a reconnect after a backoff delay, then recovery`, async () => {
      const feed = await openFeed(100);
      const replica = new Replica();
      const contexts: ResyncContext[] = [];
      const stream = openStream(feed, {
        resyncTimeoutMs: 150,
        resync: (context) => {
          contexts.push(context);
          return contexts.length === 1 ? fail() : snapshotHook(feed, replica)(context);
        },
      });
      stream.on('message', (m) => replica.apply(m));
      const recorder = new EventRecorder(stream, ['state', 'error', 'close', 'reconnecting', 'resynced']);
      stream.start();
      const error = await waitForEvent(stream, 'error');
      expect(error.code).toBe('RS_RESYNC');
      expect(error.message).toMatch(name.startsWith('hangs') ? /within 150 ms \(resyncTimeoutMs\)/ : /snapshot endpoint said 500/);
      await waitForEvent(stream, 'resynced', (e) => e.reason === 'reconnect');
      await sleep(100);
      expect(recorder.story).toEqual([
        'state:connecting', 'state:resyncing', 'error:RS_RESYNC', 'close:4000',
        'state:reconnecting', 'reconnecting', 'state:connecting', 'state:resyncing', 'state:open', 'resynced',
      ]);
      expect(recorder.of('reconnecting')[0]!.delayMs).toBeGreaterThan(0);
      expect(recorder.of('close')[0]).toMatchObject({ willReconnect: true });
      expect(contexts.map((c) => c.reason)).toEqual(['connect', 'reconnect']);
      expect(contexts[0]!.signal.aborted).toBe(true);
      expect(contexts[1]!.signal.aborted).toBe(false);
      // Nothing from the failed socket was delivered; the new one delivers from its snapshot on.
      expect(replica.violations).toEqual([]);
      expect((replica.delivered.get('a') ?? []).length).toBeGreaterThan(3);
      expect(stream.errors).toHaveLength(1);
    });
  }
});

describe('the resync signal', () => {
  /** A hook that hangs until its signal aborts; resolves `started` with its context. */
  function hangingHook() {
    const started = gate<ResyncContext>();
    const contexts: ResyncContext[] = [];
    const hook = (context: ResyncContext) => {
      contexts.push(context);
      if (contexts.length === 1) started.open(context);
      if (contexts.length > 1) return { sequence: 0 };
      return new Promise<never>((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)));
    };
    return { hook, started: started.promise, contexts };
  }

  it('aborts when the stream is closed, without reporting an error', async () => {
    const feed = await openFeed();
    const { hook, started } = hangingHook();
    const stream = openStream(feed, { resync: hook });
    stream.start();
    const context = await started;
    expect(context.signal.aborted).toBe(false);
    await stream.close();
    expect(context.signal.aborted).toBe(true);
    expect((context.signal.reason as ResilientStreamError).message).toMatch(/close\(\) was called/);
    expect(stream.state).toBe('closed');
    expect(stream.errors).toEqual([]);
  });

  for (const [name, replace] of [
    ['the server drops the socket', (feed: FeedServer) => feed.faults.drop()],
    ['reconnect() is called', (_feed: FeedServer, stream: ResilientStream<Msg, unknown>) => stream.reconnect()],
  ] as const) {
    it(`aborts when the socket is replaced (${name}); the next socket gets a fresh hook run`, async () => {
      const feed = await openFeed();
      const { hook, started, contexts } = hangingHook();
      const stream = openStream(feed, { resync: hook, resyncTimeoutMs: 10_000 });
      stream.start();
      const context = await started;
      replace(feed, stream);
      await waitForEvent(stream, 'resynced', (e) => e.reason === 'reconnect');
      expect(context.signal.aborted).toBe(true);
      expect((context.signal.reason as ResilientStreamError).code).toBe('RS_RESYNC');
      expect(contexts.map((c) => [c.reason, c.signal.aborted])).toEqual([['connect', true], ['reconnect', false]]);
      expect(stream.errors.map((e) => e.code)).not.toContain('RS_RESYNC');
    });
  }
});

describe('the hold-back buffer', () => {
  it('overflows into RS_RESYNC and a reconnect, never into silent loss', async () => {
    const feed = await openFeed();
    const replica = new Replica();
    const release = gate();
    const contexts: ResyncContext[] = [];
    const stream = openStream(feed, {
      resyncBufferSize: 5,
      resync: async (context) => {
        contexts.push(context);
        if (contexts.length === 1) {
          replica.reset('a', 0);
          await release.promise;
          return { sequence: 0 };
        }
        return snapshotHook(feed, replica)(context);
      },
    });
    stream.on('message', (m) => replica.apply(m));
    const recorder = new EventRecorder(stream, ['error', 'close', 'reconnecting', 'resynced']);
    stream.start();
    await subscribed(feed, ['a']);
    // Every inbound message is held, the subscription ack included: ack + a1..a4 fill it exactly.
    for (let i = 0; i < 4; i++) feed.publish('a');
    await sleep(50);
    expect(stream.errors).toEqual([]);
    feed.publish('a');
    const error = await waitForEvent(stream, 'error');
    expect(error.code).toBe('RS_RESYNC');
    expect(error.message).toContain('5 messages were held (resyncBufferSize)');
    release.open();
    await waitForEvent(stream, 'resynced', (e) => e.reason === 'reconnect');
    expect(contexts[0]!.signal.aborted).toBe(true);
    expect(recorder.story.slice(0, 3)).toEqual(['error:RS_RESYNC', 'close:4000', 'reconnecting']);
    await subscribed(feed, ['a']);
    feed.publish('a');
    feed.publish('a');
    await waitForEvent(stream, 'message', (m) => (m as Msg).seq === 7);
    // a1..a5 were never delivered out of a half-finished resync; the new snapshot (5) covers them.
    expect(replica.delivered.get('a')).toEqual([6, 7]);
    expect(replica.violations).toEqual([]);
  });
});
