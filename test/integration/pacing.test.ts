import { describe, expect, it } from 'vitest';
import { EventRecorder, sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, sentOps, useCleanup } from '../helpers/fixtures.js';

useCleanup();

const TOPICS = Array.from({ length: 300 }, (_, i) => `t${i}`);
/** Binance spot's rule, enforced by the feed server: 5 client messages a second, pings and pongs counted. */
const BINANCE_LIMIT = { inboundMessagesPerSecond: 5, countControlFrames: true };

describe('outbound pacing (rateLimit)', () => {
  it('a 300-topic resubscribe after a drop stays under 5 msg/s and is never closed', async () => {
    const feed = await openFeed({ limits: BINANCE_LIMIT });
    // 4 a second against the venue's 5: a paced frame arrives with network jitter, so leave headroom.
    const stream = jsonStream(feed, { topics: TOPICS, maxTopicsPerMessage: 20, rateLimit: { messagesPerSecond: 4 } }).start();
    const recorder = new EventRecorder(stream);
    await waitForState(stream, 'open');
    feed.faults.drop();
    await waitForEvent(stream, 'open', (event) => event.isReconnect, 5_000);
    // 15 subscribe messages of 20 topics: the first 4 go at once (burst), the rest at 4 a second.
    const deadline = Date.now() + 6_000;
    while (feed.subscriptions().length < 300 && Date.now() < deadline) await sleep(50);
    expect(feed.subscriptions()).toHaveLength(300);
    await sleep(300);
    expect(recorder.of('close').map((event) => event.code)).toEqual([1006]);
    expect(stream.state).toBe('open');
  });

  it('the same resubscribe without rateLimit is closed 1008 by the server (the test can fail)', async () => {
    const feed = await openFeed({ limits: BINANCE_LIMIT });
    const stream = jsonStream(feed, { topics: TOPICS, maxTopicsPerMessage: 20 }).start();
    const close = await waitForEvent(stream, 'close', () => true, 3_000);
    expect(close.code).toBe(1008);
  });

  it('spaces frames at the rate, keeps their order, never drops one and send() still returns true', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { rateLimit: { messagesPerSecond: 20, burst: 2 } }).start();
    await waitForState(stream, 'open');
    const started = Date.now();
    for (let id = 1; id <= 12; id++) expect(stream.send({ op: 'ping', id })).toBe(true);
    await feed.waitForMessage((data) => data.id === 12, 3_000);
    const elapsed = Date.now() - started;
    // 2 at once, then 10 at 20 a second: about 500 ms.
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(sentOps(feed).map((message) => message.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('frames still waiting when the socket dies go out first on the next socket', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { rateLimit: { messagesPerSecond: 2, burst: 1 }, backoff: { initialDelayMs: 5, maxDelayMs: 5 } }).start();
    await waitForState(stream, 'open');
    for (let id = 1; id <= 4; id++) stream.send({ op: 'ping', id });
    feed.faults.drop();
    await waitForEvent(stream, 'open', (event) => event.isReconnect, 3_000);
    await feed.waitForMessage((data) => data.id === 4, 5_000);
    // 1 went out at once (burst 1) and may die with the socket; 2-4 waited and are re-sent in order.
    const ids = sentOps(feed).map((message) => message.id).filter((id) => id !== undefined);
    expect(ids.filter((id) => id !== 1)).toEqual([2, 3, 4]);
  });

  it('counts protocol pings and the pongs it answers when countControlFrames is on', async () => {
    const feed = await openFeed({ pingIntervalMs: 20, limits: { inboundMessagesPerSecond: 10, inboundBurst: 2, countControlFrames: true } });
    const stream = jsonStream(feed, { rateLimit: { messagesPerSecond: 8, burst: 2 } }).start();
    await waitForState(stream, 'open');
    // The server pings 50 times a second; answered at once, the pongs would break its 10/s limit.
    for (let id = 1; id <= 6; id++) stream.send({ op: 'ping', id });
    await sleep(800);
    expect(stream.state).toBe('open');
    expect(stream.errors).toEqual([]);
    await feed.waitForMessage((data) => data.id === 6, 2_000);
  });

  it('without countControlFrames ws answers those pings at once and the server closes 1008 (the test can fail)', async () => {
    const feed = await openFeed({ pingIntervalMs: 20, limits: { inboundMessagesPerSecond: 10, inboundBurst: 2, countControlFrames: true } });
    const stream = jsonStream(feed, { rateLimit: { messagesPerSecond: 8, burst: 2, countControlFrames: false } }).start();
    expect((await waitForEvent(stream, 'close', () => true, 3_000)).code).toBe(1008);
  });
});

describe('maxTopicsPerMessage', () => {
  it('calls the subscribe and unsubscribe hooks with at most that many topics each, in order', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a', 'b', 'c', 'd', 'e'], maxTopicsPerMessage: 2 }).start();
    await waitForState(stream, 'open');
    await feed.waitForMessage((data) => data.op === 'subscribe' && data.topics.includes('e'));
    stream.unsubscribe(['a', 'b', 'c']);
    await feed.waitForMessage((data) => data.op === 'unsubscribe' && data.topics.includes('c'));
    expect(sentOps(feed)).toEqual([
      { op: 'subscribe', topics: ['a', 'b'] },
      { op: 'subscribe', topics: ['c', 'd'] },
      { op: 'subscribe', topics: ['e'] },
      { op: 'unsubscribe', topics: ['a', 'b'] },
      { op: 'unsubscribe', topics: ['c'] },
    ]);
  });
});
