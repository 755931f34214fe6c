/**
 * One focused test per lifecycle bug of issue 9 ("A lifecycle you can bet money on"). Each was
 * written against the core before the fix and failed there; it passes once the fix lands.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { ResilientStream, ResilientStreamError } from '../../src/index.js';
import { EventRecorder, sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, serverHasSubscribed, track, useCleanup, type FeedMessage } from '../helpers/fixtures.js';
import { captureProcessErrors, takeUncaught, until } from './model.js';

useCleanup();

let release: () => void;
beforeAll(() => {
  release = captureProcessErrors();
});
afterAll(() => release());

/** The construction error, or a failure saying none was thrown. */
function constructionError(options: Record<string, unknown>): ResilientStreamError {
  try {
    const stream = new ResilientStream({ url: 'ws://127.0.0.1:1/', ...options } as never);
    void stream.close();
  } catch (error) {
    expect(error).toBeInstanceOf(ResilientStreamError);
    return error as ResilientStreamError;
  }
  throw new Error(`Expected RS_INVALID_OPTIONS for ${describeOptions(options)}, but the stream was constructed.`);
}

function describeOptions(options: Record<string, unknown>): string {
  return Object.entries(options).map(([key, value]) => `${key}: ${typeof value === 'function' ? 'a function' : typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)}`).join(', ');
}

/** A bare ws server (for frames the feed server cannot send), closed after the test. */
async function rawServer(onConnection: (socket: ServerSocket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  server.on('connection', onConnection);
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('1. close() inside a close listener', () => {
  it('does not throw "illegal transition closed -> reconnecting" out of ws, and the stream ends closed', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const recorder = new EventRecorder(stream);
    stream.once('close', () => void stream.close());
    feed.faults.drop();
    await waitForState(stream, 'closed', 2_000);
    await sleep(100);
    expect(takeUncaught()).toEqual([]);
    expect(recorder.story).not.toContain('state:reconnecting');
    expect(recorder.story).not.toContain('reconnecting');
    expect(recorder.story.at(-1)).toBe('state:closed');
    expect(stream.errors.filter((error: any) => error.code === 'RS_LISTENER')).toEqual([]);
  });
});

describe('2. start() from the RS_RETRIES_EXHAUSTED error listener', () => {
  it('starts one fresh dial loop: no second RS_RETRIES_EXHAUSTED, the state follows the socket, no zombie', async () => {
    const feed = await openFeed();
    feed.faults.rejectHandshakes(500, { count: 2 });
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 1 } });
    const recorder = new EventRecorder(stream);
    stream.on('error', (error) => {
      if (error.code === 'RS_RETRIES_EXHAUSTED' && recorder.of('error').filter((e) => e.code === 'RS_RETRIES_EXHAUSTED').length === 1) stream.start();
    });
    stream.start();
    await waitForEvent(stream, 'open', () => true, 3_000);
    await sleep(150);
    expect(stream.errors.filter((error: any) => error.code === 'RS_RETRIES_EXHAUSTED')).toHaveLength(1);
    expect(stream.state).toBe('open');
    expect(feed.connectionCount).toBe(1);
    expect(takeUncaught()).toEqual([]);
  });

  it('start() right after `failed` (state listener) does the same', async () => {
    const feed = await openFeed();
    feed.faults.rejectHandshakes(500, { count: 2 });
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 1 } });
    stream.once('state', function restartOnFailed(event) {
      if (event.to === 'failed') stream.start();
      else stream.once('state', restartOnFailed);
    });
    stream.start();
    await waitForEvent(stream, 'open', () => true, 3_000);
    await sleep(150);
    expect(stream.errors.filter((error: any) => error.code === 'RS_RETRIES_EXHAUSTED')).toHaveLength(1);
    expect(stream.state).toBe('open');
    expect(feed.connectionCount).toBe(1);
  });
});

describe('3. close() before the stream is live', () => {
  it('is not a failed attempt: no reconnecting, reconnects stays 0', async () => {
    const feed = await openFeed();
    feed.faults.hangHandshakes({ count: 1 });
    const stream = jsonStream(feed);
    const recorder = new EventRecorder(stream);
    stream.start();
    await sleep(30);
    expect(stream.state).toBe('connecting');
    await stream.close();
    await sleep(50);
    expect(recorder.story).toEqual(['state:connecting', 'state:closed']);
    expect(stream.health().reconnects).toBe(0);
  });

  it('also from an `open` listener on the first open (the stream is not live yet)', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    const recorder = new EventRecorder(stream);
    stream.once('open', () => void stream.close());
    stream.start();
    await waitForState(stream, 'closed', 2_000);
    await sleep(50);
    expect(recorder.story).not.toContain('reconnecting');
    expect(recorder.story).not.toContain('state:reconnecting');
    expect(stream.health().reconnects).toBe(0);
  });

  it('also while the url function is still resolving', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { url: async () => { await sleep(100); return feed.url; } });
    const recorder = new EventRecorder(stream);
    stream.start();
    await sleep(20);
    await stream.close();
    await sleep(150);
    expect(recorder.story).toEqual(['state:connecting', 'state:closed']);
    expect(stream.health().reconnects).toBe(0);
    expect(feed.connectionsAccepted).toBe(0);
  });
});

describe('4. reconnect() is not a failure', () => {
  async function manualReconnects(stream: ReturnType<typeof jsonStream>, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const opened = waitForEvent(stream, 'open', (event) => event.isReconnect, 2_000);
      stream.reconnect();
      await opened;
      await waitForState(stream, 'open');
    }
  }

  it('with backoff.maxAttempts 2, three manual reconnects all reconnect (willReconnect true, no RS_RETRIES_EXHAUSTED)', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 } }).start();
    await waitForState(stream, 'open');
    const recorder = new EventRecorder(stream);
    await manualReconnects(stream, 3);
    expect(recorder.of('close').map((event) => event.willReconnect)).toEqual([true, true, true]);
    expect(stream.errors.map((error: any) => error.code)).not.toContain('RS_RETRIES_EXHAUSTED');
    expect(stream.state).toBe('open');
  });

  it('with backoff.maxAttempts 0, reconnect() dials at once and does not fail the stream', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 0 } }).start();
    await waitForState(stream, 'open');
    await manualReconnects(stream, 1);
    expect(stream.state).toBe('open');
    expect(stream.errors.map((error: any) => error.code)).not.toContain('RS_RETRIES_EXHAUSTED');
  });

  it('three manual reconnects do not raise a storm (storm.maxReconnects 2)', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { storm: { maxReconnects: 2, windowMs: 10_000 } }).start();
    await waitForState(stream, 'open');
    const recorder = new EventRecorder(stream);
    await manualReconnects(stream, 3);
    expect(recorder.of('storm')).toEqual([]);
    expect(stream.health().storm).toBe(false);
  });
});

describe('5. durations above 2^31-1 ms are refused at construction', () => {
  const tooLong = 2 ** 31;
  it.each([
    ['connectTimeoutMs', { connectTimeoutMs: tooLong }],
    ['resyncTimeoutMs', { resyncTimeoutMs: tooLong }],
    ['closeTimeoutMs', { closeTimeoutMs: tooLong }],
    ['backoff.initialDelayMs', { backoff: { initialDelayMs: tooLong, maxDelayMs: tooLong } }],
    ['backoff.maxDelayMs', { backoff: { maxDelayMs: tooLong } }],
    ['staleAfterMs', { staleAfterMs: tooLong }],
    ['heartbeat.intervalMs', { heartbeat: { intervalMs: tooLong } }],
    ['heartbeat.timeoutMs', { heartbeat: { timeoutMs: tooLong } }],
    ['storm.windowMs', { storm: { windowMs: tooLong } }],
  ])('%s', (field, options) => {
    const error = constructionError(options);
    expect(error.code).toBe('RS_INVALID_OPTIONS');
    expect(error.message).toContain(`\`${field}\``);
  });

  it('2^31-1 itself and an infinite backoff.maxAttempts are still accepted', () => {
    const max = 2 ** 31 - 1;
    const stream = new ResilientStream({ url: 'ws://127.0.0.1:1/', connectTimeoutMs: max, resyncTimeoutMs: max, backoff: { maxDelayMs: max, maxAttempts: Number.POSITIVE_INFINITY } });
    expect(stream.state).toBe('idle');
    void stream.close();
  });

  it('a connectTimeoutMs of 2^31 does not fire at once (the overflow symptom)', async () => {
    let stream: ResilientStream | undefined;
    try {
      const feed = await openFeed();
      feed.faults.hangHandshakes({ count: 1 });
      stream = track(new ResilientStream({ url: feed.url, connectTimeoutMs: tooLong })).start();
    } catch (error) {
      expect(error).toMatchObject({ code: 'RS_INVALID_OPTIONS' });
      return;
    }
    await sleep(100);
    expect((stream as ReturnType<typeof track>).errors.map((error: any) => error.code)).not.toContain('RS_CONNECT_TIMEOUT');
  });
});

describe('6. maxMessageBytes is enforced while the frame arrives', () => {
  it('a 50 MB frame against a 1 KB limit is refused before the server finished writing it', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
    let sendResult: 'pending' | 'written' | 'failed' = 'pending';
    const server = await rawServer((socket) => {
      socket.on('error', () => undefined);
      setTimeout(() => socket.send(big, { binary: false }, (error) => { sendResult = error ? 'failed' : 'written'; }), 20);
    });
    try {
      const stream = track(new ResilientStream({ url: server.url, maxMessageBytes: 1024, staleAfterMs: false, heartbeat: false, backoff: { initialDelayMs: 1_000, maxDelayMs: 1_000 } }));
      let resultAtError: string | undefined;
      stream.on('error', (error) => {
        if (error.code === 'RS_MESSAGE_TOO_LARGE') resultAtError ??= sendResult;
      });
      stream.start();
      expect(await until(() => resultAtError !== undefined, 5_000)).toBe(true);
      expect(resultAtError).not.toBe('written');
      await stream.close();
    } finally {
      await server.close();
    }
  }, 20_000);

  it('a frame over ws\'s own 100 MiB default gives RS_MESSAGE_TOO_LARGE, not a silent close', async () => {
    const huge = Buffer.alloc(100 * 1024 * 1024 + 1024, 0x61);
    const server = await rawServer((socket) => {
      socket.on('error', () => undefined);
      setTimeout(() => socket.send(huge, { binary: false }), 20);
    });
    try {
      const stream = track(new ResilientStream({ url: server.url, staleAfterMs: false, heartbeat: false, backoff: { initialDelayMs: 1_000, maxDelayMs: 1_000 } }));
      const closed = waitForEvent(stream, 'close', () => true, 10_000);
      stream.start();
      await closed;
      await sleep(20);
      expect(stream.errors.map((error: any) => error.code)).toContain('RS_MESSAGE_TOO_LARGE');
      await stream.close();
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('7. exotic thrown values never break error description', () => {
  const circularNullProto = (): unknown => {
    const value = Object.create(null) as Record<string, unknown>;
    value.self = value;
    return value;
  };
  const bigintNullProto = (): unknown => Object.assign(Object.create(null), { n: 1n });
  const cases: Array<[string, () => unknown]> = [
    ['a null-prototype object', () => Object.create(null)],
    ['a circular null-prototype object', circularNullProto],
    ['a null-prototype object holding a BigInt', bigintNullProto],
    ['a Symbol', () => Symbol('boom')],
  ];

  it.each(cases)('a decode that throws %s: RS_DECODE, and later messages still flow', async (_name, value) => {
    const feed = await openFeed();
    let calls = 0;
    const stream = jsonStream(feed, {
      topics: ['a'],
      decode: (data) => {
        calls++;
        if (calls === 2) throw value();
        return JSON.parse(data as string);
      },
    }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    const seqs: number[] = [];
    stream.on('message', (message) => { if (message.topic === 'a') seqs.push(message.seq!); });
    for (let i = 0; i < 3; i++) feed.publish('a');
    await until(() => seqs.length === 2, 2_000);
    await sleep(20);
    expect(takeUncaught()).toEqual([]);
    expect(seqs).toHaveLength(2);
    expect(stream.errors.map((error: any) => error.code)).toContain('RS_DECODE');
    expect(stream.state).toBe('open');
  });

  it.each(cases)('a message listener that throws %s: RS_LISTENER, and later messages still flow', async (_name, value) => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    const seqs: number[] = [];
    stream.on('message', (message: FeedMessage) => {
      if (message.topic !== 'a') return;
      seqs.push(message.seq!);
      if (seqs.length === 1) throw value();
    });
    for (let i = 0; i < 3; i++) feed.publish('a');
    await until(() => seqs.length === 3, 2_000);
    await sleep(20);
    expect(takeUncaught()).toEqual([]);
    expect(seqs).toHaveLength(3);
    expect(stream.errors.map((error: any) => error.code)).toContain('RS_LISTENER');
    expect(stream.state).toBe('open');
  });
});

describe('8. a sequence extractor returning numeric strings', () => {
  it('reports an error about `sequence` and still delivers every message (untracked)', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'], sequence: (message) => String(message.seq) as never }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    const seqs: number[] = [];
    stream.on('message', (message) => { if (message.topic === 'a') seqs.push(message.seq!); });
    for (let i = 0; i < 5; i++) feed.publish('a');
    await until(() => seqs.length === 5, 2_000);
    expect(seqs).toHaveLength(5);
    const error = stream.errors.find((e: any) => /sequence/.test(e.message));
    expect(error).toBeDefined();
    expect((error as ResilientStreamError).code).toMatch(/^RS_/);
  });
});

describe('9. protocols, clientOptions and url are validated', () => {
  it.each([
    ['null', null],
    ['5', 5],
    ['a function', () => 'feed.v1'],
    ['an object', { name: 'feed.v1' }],
    ['an invalid token "a b"', 'a b'],
    ['a list holding an invalid token', ['feed.v1', 'a b']],
  ])('protocols: %s gives RS_INVALID_OPTIONS naming `protocols`', (_name, protocols) => {
    const error = constructionError({ protocols });
    expect(error.code).toBe('RS_INVALID_OPTIONS');
    expect(error.message).toContain('`protocols`');
  });

  it.each([
    ['null', null],
    ['5', 5],
    ['a function', () => ({})],
    ['a string', 'headers'],
  ])('clientOptions: %s gives RS_INVALID_OPTIONS naming `clientOptions`', (_name, clientOptions) => {
    const error = constructionError({ clientOptions });
    expect(error.code).toBe('RS_INVALID_OPTIONS');
    expect(error.message).toContain('`clientOptions`');
  });

  it('a url with a #fragment gives RS_INVALID_OPTIONS naming `url`', () => {
    const error = constructionError({ url: 'ws://127.0.0.1:1/feed#section' });
    expect(error.code).toBe('RS_INVALID_OPTIONS');
    expect(error.message).toContain('`url`');
  });

  it('a url function returning a #fragment url gives RS_CONNECT_FAILED saying why, and does not retry forever', async () => {
    const feed = await openFeed();
    let calls = 0;
    const stream = jsonStream(feed, { url: () => { calls++; return `${feed.url}/#frag`; } }).start();
    const error = await waitForEvent(stream, 'error', () => true, 2_000);
    expect(error.code).toBe('RS_CONNECT_FAILED');
    expect(error.message).toMatch(/fragment/i);
    await waitForState(stream, 'failed', 2_000);
    const callsWhenFailed = calls;
    await sleep(200);
    expect(calls).toBe(callsWhenFailed);
  });
});

describe('10. a subscribe hook that never settles', () => {
  it('is covered by connectTimeoutMs: RS_CONNECT_TIMEOUT, the socket closed, and a retry', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'], connectTimeoutMs: 200, subscribe: () => new Promise<never>(() => undefined) }).start();
    const error = await waitForEvent(stream, 'error', () => true, 1_500);
    expect(error.code).toBe('RS_CONNECT_TIMEOUT');
    await feed.waitForConnections(2, 2_000);
    expect(await until(() => feed.connectionCount <= 1, 500)).toBe(true);
    expect(stream.state).not.toBe('open');
  });
});

describe('11. send() of a value that cannot be encoded', () => {
  const circular = (): unknown => {
    const value: Record<string, unknown> = {};
    value.self = value;
    return value;
  };

  it.each([
    ['a BigInt', () => 10n],
    ['a circular object', circular],
  ])('returns false at once while queued before start(): %s', async (_name, value) => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    expect(stream.send(value() as never)).toBe(false);
    expect(stream.health().queued).toBe(0);
  });

  it('returns false at once while connecting, and the queue flushes only good messages', async () => {
    const feed = await openFeed();
    feed.faults.hangHandshakes({ count: 1 });
    const stream = jsonStream(feed, { connectTimeoutMs: 200 });
    stream.start();
    expect(stream.send(10n as never)).toBe(false);
    // RS_ENCODE at send() time is documented; none may follow at flush.
    const encodeErrors = (): number => stream.errors.filter((error: any) => error.code === 'RS_ENCODE').length;
    const atSend = encodeErrors();
    expect(atSend).toBeLessThanOrEqual(1);
    expect(stream.send({ op: 'ping', id: 7 })).toBe(true);
    await feed.waitForMessage((data) => data.id === 7, 3_000);
    expect(encodeErrors()).toBe(atSend);
  });
});

describe('12. topicStaleAfterMs needs topicOf', () => {
  it('without topicOf gives RS_INVALID_OPTIONS naming both', () => {
    const error = constructionError({ topicStaleAfterMs: 5_000 });
    expect(error.code).toBe('RS_INVALID_OPTIONS');
    expect(error.message).toContain('topicStaleAfterMs');
    expect(error.message).toContain('topicOf');
  });
});

describe('unknown option keys', () => {
  it.each([
    [{ staleAfterMS: 5_000 }, 'staleAfterMS', 'staleAfterMs'],
    [{ conectTimeoutMs: 5_000 }, 'conectTimeoutMs', 'connectTimeoutMs'],
    [{ backoff: { maxDelay: 5_000 } }, 'maxDelay', 'maxDelayMs'],
    [{ heartbeat: { interval: 5_000 } }, 'interval', 'intervalMs'],
    [{ storm: { maxReconnect: 3 } }, 'maxReconnect', 'maxReconnects'],
  ])('%o: RS_INVALID_OPTIONS naming the key and the closest known one', (options, key, suggestion) => {
    const error = constructionError(options);
    expect(error.code).toBe('RS_INVALID_OPTIONS');
    expect(error.message).toContain(key);
    expect(error.message).toMatch(new RegExp(`did you mean \`(\\w+\\.)?${suggestion}\`\\?`));
  });
});
