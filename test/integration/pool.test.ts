import { afterEach, describe, expect, it } from 'vitest';
import { ResilientStream, ResilientStreamError, StreamPool, type StreamPoolOptions } from '../../src/index.js';
import type { FeedServer } from '../../src/testing/index.js';
import { sleep } from '../helpers/events.js';
import { jsonOptions, openFeed, sentOps, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

useCleanup();

const pools: Array<StreamPool<any, any>> = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

type Pool = StreamPool<FeedMessage, unknown> & { errors: Error[] };

/** A JSON-dialect pool against `feed`, closed after the test; errors are collected. */
function openPool(feed: FeedServer, options: Partial<StreamPoolOptions<FeedMessage, unknown>> & { maxTopicsPerConnection: number }): Pool {
  const pool = new StreamPool<FeedMessage, unknown>({ ...jsonOptions(feed), ...options });
  pools.push(pool);
  const errors: Error[] = [];
  pool.on('error', (error) => errors.push(error));
  return Object.assign(pool, { errors });
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(5);
  }
}

/** Topics each open server connection holds, sorted by size then name (connection ids vary). */
function serverShards(feed: FeedServer): string[][] {
  return feed.connections.map((c) => feed.subscriptions(c.id).sort()).sort((a, b) => b.length - a.length || a[0]!.localeCompare(b[0]!));
}

/** The id of the server connection holding `topic`. */
function connectionOf(feed: FeedServer, topic: string): number {
  const id = feed.connections.find((c) => feed.subscriptions(c.id).includes(topic))?.id;
  if (id === undefined) throw new Error(`No connection holds ${topic}`);
  return id;
}

/** Most handshakes inside any window of `windowMs`. */
function mostInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('StreamPool sharding', () => {
  it('holds 2500 topics under a 1024 cap on 3 members, each under the server-enforced limit', async () => {
    const feed = await openFeed({ limits: { maxTopicsPerConnection: 1024 } });
    const topics = Array.from({ length: 2500 }, (_, i) => `t${i}`);
    const pool = openPool(feed, { topics, maxTopicsPerConnection: 1024 });
    const refusals: unknown[] = [];
    pool.on('message', (message) => void (message.op === 'error' && refusals.push(message)));
    pool.start();
    await until(() => pool.state === 'open' && feed.subscriptions().length === 2500, 'all 2500 topics are subscribed');

    expect(pool.streams).toHaveLength(3);
    expect(serverShards(feed).map((shard) => shard.length)).toEqual([1024, 1024, 452]);
    const perMember = [0, 0, 0];
    for (const index of Object.values(pool.health().topics)) perMember[index]!++;
    expect(perMember).toEqual([1024, 1024, 452]);
    expect(refusals).toEqual([]);
    expect(pool.errors).toEqual([]);

    // Data flows on every member, each message with the index of the member holding its topic.
    const seen = new Map<string, number>();
    pool.on('message', (message, index) => void (message.topic !== undefined && seen.set(message.topic, index)));
    for (const topic of ['t0', 't1500', 't2499']) feed.publish(topic);
    await until(() => seen.size === 3, 'a message of each published topic arrived');
    const { topics: placement } = pool.health();
    expect(Object.fromEntries(seen)).toEqual({ t0: placement.t0, t1500: placement.t1500, t2499: placement.t2499 });
    expect(new Set(seen.values())).toEqual(new Set([0, 1, 2]));

    // The control: one connection asking for all 2500 is refused by the same server.
    const single = new ResilientStream<FeedMessage, unknown>(jsonOptions(feed, { topics }));
    const refused = new Promise<FeedMessage>((resolve) => single.on('message', (m) => m.op === 'error' && resolve(m)));
    single.start();
    expect(await refused).toMatchObject({ op: 'error', message: expect.stringMatching(/^Too many streams/) });
    await single.close();
  });

  it('subscribes into free room first, never moves a topic, and closes a member left empty', async () => {
    const feed = await openFeed();
    const pool = openPool(feed, { topics: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], maxTopicsPerConnection: 3 });
    const closes: number[] = [];
    pool.on('close', (_event, index) => closes.push(index));
    pool.start();
    await until(() => pool.state === 'open' && feed.subscriptions().length === 7, 'the first 7 topics are subscribed');
    expect(serverShards(feed)).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    const [first, second, third] = pool.streams;

    pool.unsubscribe(['b', 'e']);
    pool.subscribe(['h', 'i']);
    await until(() => feed.subscriptions().includes('i') && !feed.subscriptions().includes('b'), 'h and i replace b and e');
    expect(serverShards(feed)).toEqual([['a', 'c', 'h'], ['d', 'f', 'i'], ['g']]);

    pool.unsubscribe('g');
    await until(() => feed.connectionCount === 2, 'the emptied member is closed');
    expect(pool.streams).toEqual([first, second]);
    expect(third!.state).toBe('closed');
    expect(pool.health().topics).toEqual({ a: 0, c: 0, h: 0, d: 1, f: 1, i: 1 });
    expect(closes).toEqual([]); // retiring a member is not a close the application must handle

    pool.subscribe(['j', 'k', 'l', 'm']);
    await until(() => feed.subscriptions().includes('m') && pool.state === 'open', 'two new members hold j to m');
    expect(serverShards(feed)).toEqual([['a', 'c', 'h'], ['d', 'f', 'i'], ['j', 'k', 'l'], ['m']]);
    expect(pool.health().topics).toMatchObject({ j: 2, k: 2, l: 2, m: 3 });

    // No topic was ever subscribed twice: nothing moved between members.
    const subscribed = sentOps(feed).filter((op) => op.op === 'subscribe').flatMap((op) => op.topics as string[]);
    expect(subscribed.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm']);
    expect(pool.errors).toEqual([]);
  });

  it('keeps one member when every topic is dropped, and sends to every member', async () => {
    const feed = await openFeed();
    const pool = openPool(feed, { topics: ['a', 'b', 'c'], maxTopicsPerConnection: 1 });
    pool.start();
    await until(() => pool.state === 'open' && feed.connectionCount === 3, 'three members are open');
    expect(pool.send({ op: 'ping', id: 7 })).toBe(true);
    await until(() => sentOps(feed).filter((op) => op.op === 'ping').length === 3, 'each member sent the ping');
    expect(new Set(feed.received.filter((m) => m.data.op === 'ping').map((m) => m.connectionId)).size).toBe(3);

    pool.unsubscribe(['a', 'b', 'c']);
    await until(() => feed.connectionCount === 1, 'two members are closed');
    expect(pool.streams).toHaveLength(1);
    expect(pool.state).toBe('open');
    pool.subscribe('d');
    await until(() => feed.subscriptions().includes('d'), 'the kept member subscribes again');
    expect(feed.connectionCount).toBe(1);
  });
});

describe('StreamPool topic names', () => {
  it('health() lists a topic named like an Object.prototype key (__proto__, constructor) under its own name', async () => {
    const pool = new StreamPool({ url: 'ws://127.0.0.1:1', maxTopicsPerConnection: 1, topics: ['__proto__', 'constructor', 'a'] });
    try {
      const { topics } = pool.health();
      expect(Object.keys(topics)).toEqual(['__proto__', 'constructor', 'a']);
      expect(Object.entries(topics)).toEqual([['__proto__', 0], ['constructor', 1], ['a', 2]]);
    } finally {
      await pool.close();
    }
  });
});

describe('StreamPool dial budget', () => {
  const topics = ['a', 'b', 'c', 'd', 'e', 'f'];
  const fastBackoff = { backoff: { initialDelayMs: 20, maxDelayMs: 100 } };

  it('never exceeds its dial budget, also when a restart drops every member at once', async () => {
    const feed = await openFeed({ limits: { dialsPerSecond: 2 } });
    const pool = openPool(feed, { ...fastBackoff, topics, maxTopicsPerConnection: 2, dialsPerSecond: 2 });
    pool.start();
    await until(() => pool.state === 'open' && feed.connectionCount === 3, 'three members are open', 8_000);
    await feed.faults.stop({ restartAfterMs: 300 });
    await until(() => pool.state === 'open' && feed.connectionCount === 3, 'every member is back', 8_000);

    expect(feed.handshakeTimes.length).toBe(6);
    expect(feed.state().handshakesRejected).toBe(0);
    // Spaced 500 ms apart by the budget; the windows leave room for a busy event loop delaying one
    // handshake more than the next (a herd without the budget lands within a few ms).
    expect(mostInWindow(feed.handshakeTimes, 300)).toBe(1);
    expect(mostInWindow(feed.handshakeTimes, 800)).toBeLessThanOrEqual(2);
  });

  it('the control: without a budget the same pool trips the server limit', async () => {
    const feed = await openFeed({ limits: { dialsPerSecond: 2 } });
    const pool = openPool(feed, { ...fastBackoff, topics, maxTopicsPerConnection: 2 });
    pool.start();
    await until(() => pool.state === 'open' && feed.connectionCount === 3, 'three members are open', 8_000);
    expect(feed.state().handshakesRejected).toBeGreaterThan(0);
    expect(pool.errors.some((error) => (error as ResilientStreamError).status === 429)).toBe(true);
  });
});

describe('StreamPool events and isolation', () => {
  it('forwards each member event with its index, and a throwing listener becomes RS_LISTENER from that member', async () => {
    const feed = await openFeed();
    const pool = openPool(feed, { topics: ['a', 'b', 'c'], maxTopicsPerConnection: 1 });
    const opened: number[] = [];
    pool.on('open', (event, index) => {
      expect(event.isReconnect).toBe(false);
      opened.push(index);
    });
    const once: number[] = [];
    pool.once('open', (_event, index) => once.push(index));
    pool.start();
    await until(() => pool.state === 'open', 'the pool is open');
    expect(opened.sort()).toEqual([0, 1, 2]);
    expect(once).toHaveLength(1);

    const after: number[] = [];
    pool.on('message', (message) => {
      if (message.topic === 'b') throw new Error('listener bug');
    });
    pool.on('message', (message, index) => void (message.topic !== undefined && after.push(index)));
    feed.publish('b');
    await until(() => after.length === 1, 'the second listener still got the message');
    expect(after).toEqual([pool.health().topics.b]);
    const listenerError = pool.errors.find((error) => (error as ResilientStreamError).code === 'RS_LISTENER') as ResilientStreamError;
    expect(listenerError).toMatchObject({ event: 'message', message: "A listener of 'message' threw: listener bug" });
  });

  it("one member's dropped connection does not interrupt delivery on the others", async () => {
    const feed = await openFeed();
    const pool = openPool(feed, { topics: ['a', 'b', 'c'], maxTopicsPerConnection: 1 });
    const received = new Map<string, number[]>([['a', []], ['b', []], ['c', []]]);
    const closes: number[] = [];
    const reopened: number[] = [];
    pool.on('message', (message) => void (message.topic !== undefined && received.get(message.topic)!.push(message.seq!)));
    pool.on('close', (_event, index) => closes.push(index));
    pool.on('open', (event, index) => void (event.isReconnect && reopened.push(index)));
    pool.start();
    await until(() => pool.state === 'open', 'the pool is open');
    const victim = pool.health().topics.b!;

    let sent = 0;
    const publisher = setInterval(() => {
      for (const topic of ['a', 'b', 'c']) feed.publish(topic);
      if (++sent === 10) feed.faults.drop(connectionOf(feed, 'b'));
    }, 10);
    await until(() => sent >= 40, 'forty rounds were published');
    clearInterval(publisher);
    await until(() => pool.state === 'open' && received.get('a')!.length === sent && received.get('c')!.length === sent, 'the others got every message');

    const oneToSent = Array.from({ length: sent }, (_, i) => i + 1);
    expect(received.get('a')).toEqual(oneToSent);
    expect(received.get('c')).toEqual(oneToSent);
    expect(closes).toEqual([victim]);
    expect(reopened).toEqual([victim]);
  });

  it('iterates over every member and close() ends it and leaves no timer or socket behind', async () => {
    const feed = await openFeed();
    const count = (): { timers: number; sockets: number } => {
      const counts: Record<string, number> = {};
      for (const resource of process.getActiveResourcesInfo()) counts[resource] = (counts[resource] ?? 0) + 1;
      return { timers: counts.Timeout ?? 0, sockets: counts.TCPSocketWrap ?? 0 };
    };
    const before = count();
    // dialsPerSecond 1: when close() comes, two members are still waiting for the budget.
    const pool = openPool(feed, { topics: ['a', 'b', 'c'], maxTopicsPerConnection: 1, dialsPerSecond: 1 });
    pool.start();
    const iterated: string[] = [];
    const iteration = (async () => {
      for await (const message of pool) if (message.topic !== undefined) iterated.push(message.topic);
    })();
    await until(() => feed.subscriptions().includes('a'), 'the first member subscribed');
    feed.publish('a');
    await until(() => iterated.length === 1, 'the iterator got the message');

    await pool.close();
    // Nothing of the pool's may still be armed: the budget's timer went with the last waiting dial.
    expect(count().timers).toBeLessThanOrEqual(before.timers);
    await iteration;
    expect(iterated).toEqual(['a']);
    expect(pool.state).toBe('closed');
    expect(pool.streams.map((member) => member.state)).toEqual(['closed', 'closed', 'closed']);
    await until(() => feed.connectionCount === 0, 'the server saw every connection close');
    await until(() => count().timers <= before.timers && count().sockets <= before.sockets, 'no handle is left', 3_000);
    expect(feed.connectionsAccepted).toBe(1);
    expect(() => pool.start()).toThrow(ResilientStreamError);
  });
});

describe('StreamPool state', () => {
  it('is idle before start(), open when every member is, failed when a member is closed behind its back, closed on abort', async () => {
    const feed = await openFeed();
    const controller = new AbortController();
    const pool = openPool(feed, { topics: ['a', 'b'], maxTopicsPerConnection: 1, signal: controller.signal });
    expect(pool.state).toBe('idle');
    pool.start();
    expect(pool.state).toBe('connecting');
    await until(() => pool.state === 'open', 'the pool is open');
    await pool.streams[1]!.close();
    expect(pool.state).toBe('failed');
    expect(() => pool.start()).not.toThrow();
    expect(pool.state).toBe('failed');
    controller.abort();
    expect(pool.state).toBe('closed');
    await until(() => pool.streams.every((member) => member.state === 'closed') && feed.connectionCount === 0, 'every member closed');
  });
});

describe('StreamPool backpressure', () => {
  it('pause() pauses every member, also one added while paused; resume() undoes it', async () => {
    const feed = await openFeed();
    const pool = openPool(feed, { topics: ['a', 'b'], maxTopicsPerConnection: 1 });
    pool.start();
    await until(() => pool.state === 'open', 'the pool is open');
    pool.pause();
    pool.subscribe('c');
    expect(pool.streams.map((member) => member.isPaused)).toEqual([true, true, true]);
    pool.resume();
    expect(pool.isPaused).toBe(false);
    expect(pool.streams.map((member) => member.isPaused)).toEqual([false, false, false]);
  });

  it('a pool iterator that falls iteratorBufferSize behind pauses every member until it catches up', async () => {
    const feed = await openFeed();
    const pool = openPool(feed, { topics: ['a', 'b'], maxTopicsPerConnection: 1, iteratorBufferSize: 4 });
    pool.start();
    await until(() => pool.state === 'open', 'the pool is open');
    const iterator = pool[Symbol.asyncIterator]();
    for (let i = 0; i < 4; i++) feed.publish(i % 2 === 0 ? 'a' : 'b');
    await until(() => pool.isPaused, 'the full iterator paused the pool');
    expect(pool.streams.every((member) => member.isPaused)).toBe(true);
    for (let i = 0; i < 3; i++) await iterator.next();
    expect(pool.isPaused).toBe(false);
    expect(pool.streams.some((member) => member.isPaused)).toBe(false);
    await iterator.return!();
  });
});

describe('StreamPool under a venue message rate', () => {
  const topics = Array.from({ length: 300 }, (_, i) => `t${i}`);

  /** Close codes the server sent or saw, as its `disconnect` events report them. */
  function closeCodes(feed: FeedServer): number[] {
    const codes: number[] = [];
    feed.on('disconnect', ({ code }) => codes.push(code));
    return codes;
  }

  it('a 300-topic resubscribe against a server limited to 5 messages per second is never closed', async () => {
    const feed = await openFeed({ limits: { inboundMessagesPerSecond: 5 } });
    const codes = closeCodes(feed);
    // Two members (200 + 100 topics), 30 topics per subscribe message: 7 and 4 messages per member.
    // Paced under the limit (4/s): at exactly 5/s any arrival jitter leaves a gap under 200 ms.
    const pool = openPool(feed, { topics, maxTopicsPerConnection: 200, maxTopicsPerMessage: 30, rateLimit: { messagesPerSecond: 4 } });
    pool.start();
    await until(() => pool.state === 'open' && feed.subscriptions().length === 300, 'all 300 topics are subscribed', 8_000);

    feed.clearRecords();
    await feed.faults.stop({ restartAfterMs: 100 });
    await until(() => feed.connectionCount === 2 && feed.subscriptions().length === 300 && pool.state === 'open', 'all 300 topics are subscribed again', 8_000);

    expect(codes).not.toContain(1008);
    expect(sentOps(feed).filter((op) => op.op === 'subscribe')).toHaveLength(11);
    expect(pool.errors.filter((error) => (error as ResilientStreamError).closeCode === 1008)).toEqual([]);
  });

  it('the control: without rateLimit the same resubscribe is closed 1008 "Too many requests"', async () => {
    const feed = await openFeed({ limits: { inboundMessagesPerSecond: 5 } });
    const codes = closeCodes(feed);
    const pool = openPool(feed, { topics, maxTopicsPerConnection: 200, maxTopicsPerMessage: 30 });
    pool.start();
    await until(() => codes.includes(1008), 'the server closed a member 1008');
    // Binance's 1008 is fatal by default (shouldReconnect), so that member stops: the pool is failed.
    await until(() => pool.state === 'failed', 'the pool reports the failed member');
  });
});

describe('StreamPool options', () => {
  const url = 'ws://127.0.0.1:1';
  it.each([
    [{ maxTopicsPerConnection: 0 }, 'Expected `maxTopicsPerConnection` to be an integer >= 1, got 0.'],
    [{ maxTopicsPerConnection: 1.5 }, 'Expected `maxTopicsPerConnection` to be an integer >= 1, got 1.5.'],
    [{ maxTopicsPerConnection: undefined }, 'Expected `maxTopicsPerConnection` to be an integer >= 1, got undefined.'],
    [{ maxTopicsPerConnection: 10, dialsPerSecond: 0 }, 'Expected `dialsPerSecond` to be a finite number per second of at least one per 24.8 days (4.7e-7, the longest timer), got 0.'],
    [{ maxTopicsPerConnection: 10, dialsPerSecond: Number.POSITIVE_INFINITY }, 'Expected `dialsPerSecond` to be a finite number per second of at least one per 24.8 days (4.7e-7, the longest timer), got Infinity.'],
    [{ maxTopicsPerConnection: 10, dialsPerSecond: 1e-300 }, 'Expected `dialsPerSecond` to be a finite number per second of at least one per 24.8 days (4.7e-7, the longest timer), got 1e-300.'],
    [{ maxTopicsPerConnection: 10, topics: ['a', ''] }, 'Expected `topics` to be an array of non-empty strings, got ["a",""].'],
    [{ maxTopicsPerConnection: 10, backoff: { factor: 0 } }, 'Expected `backoff.factor` to be a finite number >= 1, got 0.'],
  ])('rejects %j with RS_INVALID_OPTIONS', (options, message) => {
    let thrown: unknown;
    try {
      new StreamPool({ url, ...(options as { maxTopicsPerConnection: number }) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ResilientStreamError);
    expect(thrown).toMatchObject({ code: 'RS_INVALID_OPTIONS', message });
  });

});

describe('rotation across members', () => {
  it('members never rotate at the same time: every rotation window is disjoint from the others', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const pool = openPool(feed, {
      maxTopicsPerConnection: 1, topics: ['a', 'b', 'c'], sequence: (message) => message.seq,
      // Every member comes due at once (no stagger can help): only the shared lock keeps them apart.
      rotate: { maxAgeMs: 150, overlapMs: 3_000 },
    });
    const windows: Array<{ member: number; from: number; to: number }> = [];
    pool.on('rotated', (event, member) => {
      const to = performance.now();
      windows.push({ member, from: to - event.overlapMs, to });
    });
    pool.start();
    await until(() => windows.length >= 9 && new Set(windows.map((w) => w.member)).size === 3, 'each member rotated', 15_000);
    const sorted = [...windows].sort((x, y) => x.from - y.from);
    for (let i = 1; i < sorted.length; i++) {
      // 1 ms of slack: performance.now() is read after the event, overlapMs before it.
      expect(sorted[i]!.from, `rotation ${i} overlaps the one before`).toBeGreaterThanOrEqual(sorted[i - 1]!.to - 1);
    }
    expect(pool.errors).toEqual([]);
  });
});
