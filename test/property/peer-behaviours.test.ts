/**
 * Behaviours the test suites of reconnecting-websocket, partysocket and websocket-ts check for
 * their reconnecting sockets, restated for ResilientStream's API and run against the feed server.
 * (Read for what they check, not copied: their tests drive DOM-style sockets on fixed ports.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { EventRecorder, sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, sentOps, track, useCleanup } from '../helpers/fixtures.js';
import { captureProcessErrors, takeUncaught } from './model.js';

useCleanup();

let release: () => void;
beforeAll(() => {
  release = captureProcessErrors();
});
afterAll(() => release());

describe('closing before the first open (reconnecting-websocket: "connect and close before establishing connection")', () => {
  it('close() right after start() never opens and never dials again', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    const recorder = new EventRecorder(stream);
    stream.start();
    await stream.close();
    await sleep(200);
    expect(recorder.of('open')).toEqual([]);
    expect(recorder.of('close')).toEqual([]);
    expect(feed.connectionCount).toBe(0);
    expect(feed.handshakeAttempts).toBeLessThanOrEqual(1);
    const attempts = feed.handshakeAttempts;
    await sleep(100);
    expect(feed.handshakeAttempts).toBe(attempts);
  });

  it('close() on a stream never started does not throw and dials nothing (partysocket: "close() when not connected")', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    await expect(stream.close()).resolves.toBeUndefined();
    await sleep(50);
    expect(feed.handshakeAttempts).toBe(0);
  });
});

describe('calling close() many times (reconnecting-websocket, partysocket)', () => {
  it('emits one close event and one state:closed', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const recorder = new EventRecorder(stream);
    void stream.close();
    void stream.close();
    await stream.close();
    await sleep(50);
    expect(recorder.story).toEqual(['close:1000', 'state:closed']);
  });
});

describe('reconnect() (reconnecting-websocket "reconnect after closing", "calling to reconnect when not ready")', () => {
  it('after close() does nothing: no event, no dial; start() throws RS_CLOSED', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    await stream.close();
    const recorder = new EventRecorder(stream);
    const attempts = feed.handshakeAttempts;
    stream.reconnect();
    expect(() => stream.start()).toThrowError(expect.objectContaining({ code: 'RS_CLOSED' }));
    await sleep(150);
    expect(recorder.story).toEqual([]);
    expect(feed.handshakeAttempts).toBe(attempts);
  });

  it('before start() does nothing (the stream stays idle and dials nothing)', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    stream.reconnect();
    stream.reconnect();
    await sleep(100);
    expect(stream.state).toBe('idle');
    expect(feed.handshakeAttempts).toBe(0);
  });

  it('while connected replaces the socket with the reason as the close reason (reconnecting-websocket "connect, send, receive, reconnect")', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const disconnect = new Promise<{ code: number }>((resolve) => feed.once('disconnect', resolve));
    for (let round = 1; round <= 3; round++) {
      const reopened = waitForEvent(stream, 'open', (event) => event.isReconnect);
      stream.reconnect(`round ${round}`);
      await reopened;
      await waitForState(stream, 'open');
    }
    await disconnect;
    expect(feed.connectionsAccepted).toBe(4);
    expect(feed.connectionCount).toBe(1);
  });
});

describe('retry limits (reconnecting-websocket "max retries: 0, 1, 5")', () => {
  it.each([0, 1, 3])('backoff.maxAttempts %i: exactly that many reconnect attempts after the first dial, then failed', async (maxAttempts) => {
    const feed = await openFeed();
    await feed.faults.stop();
    const stream = jsonStream(feed, { url: `ws://127.0.0.1:${feed.port}/`, backoff: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts } });
    const recorder = new EventRecorder(stream);
    stream.start();
    await waitForState(stream, 'failed', 3_000);
    await sleep(100);
    expect(recorder.of('reconnecting').map((event) => event.attempt)).toEqual(Array.from({ length: maxAttempts }, (_, i) => i + 1));
    expect(stream.errors.map((error: any) => error.code)).toEqual([...Array(maxAttempts + 1).fill('RS_CONNECT_FAILED'), 'RS_RETRIES_EXHAUSTED']);
  });

  it('a refused connection fails fast and is not reported as a timeout (reconnecting-websocket "immediately-failed connection should not timeout")', async () => {
    const feed = await openFeed();
    await feed.faults.stop();
    const stream = jsonStream(feed, { url: `ws://127.0.0.1:${feed.port}/`, connectTimeoutMs: 5_000, backoff: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 } });
    const started = Date.now();
    stream.start();
    await waitForState(stream, 'failed', 3_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(stream.errors.map((error: any) => error.code)).not.toContain('RS_CONNECT_TIMEOUT');
  });

  it('a handshake that never answers times out with RS_CONNECT_TIMEOUT on every attempt (reconnecting-websocket "connection timeout")', async () => {
    const feed = await openFeed();
    feed.faults.hangHandshakes({ count: 2 });
    const stream = jsonStream(feed, { connectTimeoutMs: 100, backoff: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 1 } });
    stream.start();
    await waitForState(stream, 'failed', 3_000);
    expect(stream.errors.map((error: any) => error.code)).toEqual(['RS_CONNECT_TIMEOUT', 'RS_CONNECT_TIMEOUT', 'RS_RETRIES_EXHAUSTED']);
  });
});

describe('listeners survive reconnects (reconnecting-websocket "level0 event listeners are kept after reconnect", websocket-ts removeEventListener)', () => {
  it('a listener added with on() hears every socket; one removed with off() hears none after', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    let kept = 0;
    let removed = 0;
    const onRemoved = (): void => void removed++;
    stream.on('open', () => void kept++);
    stream.on('open', onRemoved);
    await waitForEvent(stream, 'open');
    stream.off('open', onRemoved);
    for (let i = 0; i < 3; i++) {
      const reopened = waitForEvent(stream, 'open', (event) => event.isReconnect);
      feed.faults.drop();
      await reopened;
    }
    expect(kept).toBe(4);
    expect(removed).toBe(1);
  });
});

describe('the send queue (reconnecting-websocket "enqueue messages", websocket-ts buffered messages)', () => {
  it('sends queued before the first open arrive in order, after the subscriptions', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] });
    for (let id = 1; id <= 5; id++) expect(stream.send({ op: 'ping', id })).toBe(true);
    stream.start();
    await feed.waitForMessage((data) => data.id === 5);
    expect(sentOps(feed).map((m) => m.id ?? m.op)).toEqual(['subscribe', 1, 2, 3, 4, 5]);
  });

  it('sends made while the server is down are flushed in order once it is back', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const down = waitForState(stream, 'reconnecting');
    await feed.faults.stop();
    await down;
    for (let id = 1; id <= 3; id++) expect(stream.send({ op: 'ping', id })).toBe(true);
    await feed.faults.restart();
    await feed.waitForMessage((data) => data.id === 3, 5_000);
    expect(sentOps(feed).filter((m) => m.op === 'ping').map((m) => m.id)).toEqual([1, 2, 3]);
  });

  it('the queue keeps the newest maxMessages (reconnecting-websocket "respect maximum enqueued messages")', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { sendQueue: { maxMessages: 2, maxAgeMs: 10_000 } });
    for (let id = 1; id <= 10; id++) stream.send({ op: 'ping', id });
    expect(stream.health()).toMatchObject({ queued: 2, dropped: 8 });
    stream.start();
    await feed.waitForMessage((data) => data.id === 10);
    expect(sentOps(feed).filter((m) => m.op === 'ping').map((m) => m.id)).toEqual([9, 10]);
  });

  it('send() after close() returns false and nothing reaches the server (websocket-ts "ignore send() when closed by the user")', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    await stream.close();
    expect(stream.send({ op: 'ping', id: 99 })).toBe(false);
    await sleep(50);
    expect(sentOps(feed).some((m) => m.id === 99)).toBe(false);
  });
});

describe('close codes pass through (reconnecting-websocket "closing from the other side", websocket-ts onClose)', () => {
  it('a server close code and reason reach the close event; the stream reconnects', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const closed = waitForEvent(stream, 'close');
    feed.faults.closeAll(4001, 'maintenance');
    expect(await closed).toEqual({ code: 4001, reason: 'maintenance', wasClean: true, willReconnect: true });
    await waitForEvent(stream, 'open', (event) => event.isReconnect);
  });

  it('the code and reason given to close() reach the server', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const disconnect = new Promise<{ code: number; reason: string }>((resolve) => feed.once('disconnect', resolve));
    await stream.close(4002, 'bye');
    expect(await disconnect).toMatchObject({ code: 4002, reason: 'bye' });
  });

  it('closing from a close listener after a server close keeps the stream closed (reconnecting-websocket "allow to keep closed")', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    stream.on('close', (event) => {
      if (event.code === 4001) void stream.close();
    });
    feed.faults.closeAll(4001, 'stop');
    await waitForState(stream, 'closed', 2_000);
    const attempts = feed.handshakeAttempts;
    await sleep(150);
    expect(feed.handshakeAttempts).toBe(attempts);
    expect(stream.state).toBe('closed');
    expect(takeUncaught()).toEqual([]);
  });
});

describe('the attempt counter resets after a healthy connection (reconnecting-websocket "minUptime", partysocket retryCount)', () => {
  it('flapping connections climb the attempt count; a connection that stayed up resetAfterMs starts again at 1', async () => {
    const feed = await openFeed();
    const stream = track(new ResilientStream({ url: feed.url, staleAfterMs: false, heartbeat: false, backoff: { initialDelayMs: 5, maxDelayMs: 20, resetAfterMs: 250 } }));
    const recorder = new EventRecorder(stream);
    stream.start();
    await waitForState(stream, 'open');
    for (let i = 0; i < 2; i++) {
      const reopened = waitForEvent(stream, 'open', (event) => event.isReconnect);
      feed.faults.drop();
      await reopened;
    }
    await sleep(300);
    const reopened = waitForEvent(stream, 'open', (event) => event.isReconnect);
    feed.faults.drop();
    await reopened;
    expect(recorder.of('reconnecting').map((event) => event.attempt)).toEqual([1, 2, 1]);
  });
});
