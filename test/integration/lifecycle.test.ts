import { describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { EventRecorder, sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonOptions, jsonStream, track, openFeed, sentOps, serverHasSubscribed, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

useCleanup();

describe('connecting and subscribing', () => {
  it('walks idle -> connecting -> open, sends subscriptions first, then queued sends in order', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a', 'b'] });
    const recorder = new EventRecorder(stream);
    expect(stream.state).toBe('idle');
    expect(stream.send({ op: 'ping', id: 1 })).toBe(true); // queued before start()
    expect(stream.send({ op: 'ping', id: 2 })).toBe(true);
    expect(stream.health().queued).toBe(2);
    stream.start();
    await waitForState(stream, 'open');
    await feed.waitForMessage((data) => data.id === 2);
    expect(sentOps(feed).map((m) => m.op)).toEqual(['subscribe', 'ping', 'ping']);
    expect(sentOps(feed)[0]).toEqual({ op: 'subscribe', topics: ['a', 'b'] });
    expect(sentOps(feed).map((m) => m.id)).toEqual([undefined, 1, 2]);
    expect(recorder.story).toEqual(['state:connecting', 'open', 'state:open']);
    expect(recorder.of('open')[0]).toMatchObject({ attempt: 0, isReconnect: false });
    expect(stream.health()).toMatchObject({ state: 'open', connected: true, queued: 0, messagesSent: 3 });
    expect(stream.errors).toEqual([]);
  });

  it('delivers messages to listeners and keeps the desired topic set across reconnects, sent once per open', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] }).start();
    await waitForState(stream, 'open');
    stream.subscribe(['b', 'a']);
    await feed.waitForMessage((data) => data.op === 'subscribe' && data.topics.includes('b'));
    stream.unsubscribe('a');
    await feed.waitForMessage((data) => data.op === 'unsubscribe');
    expect([...stream.topics]).toEqual(['b']);
    expect(sentOps(feed).slice(0, 3)).toEqual([
      { op: 'subscribe', topics: ['a'] },
      { op: 'subscribe', topics: ['b'], id: undefined }.id === undefined ? { op: 'subscribe', topics: ['b'] } : {},
      { op: 'unsubscribe', topics: ['a'] },
    ]);
    const message = waitForEvent(stream, 'message', (m) => m.topic !== undefined);
    await serverHasSubscribed(feed, ['b']);
    feed.publish('b');
    expect(await message).toMatchObject({ topic: 'b' });

    feed.clearRecords();
    feed.faults.drop();
    await waitForEvent(stream, 'open', (event) => event.isReconnect);
    await feed.waitForMessage((data) => data.op === 'subscribe');
    await sleep(50);
    expect(sentOps(feed)).toEqual([{ op: 'subscribe', topics: ['b'] }]);
  });

  it('subscribe() before open is sent with the first subscription, not twice', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] });
    stream.subscribe('b');
    stream.start();
    await waitForState(stream, 'open');
    await sleep(50);
    expect(sentOps(feed)).toEqual([{ op: 'subscribe', topics: ['a', 'b'] }]);
  });

  it('topics added while an async subscribe hook runs are sent right after it, once', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, {
      topics: ['a'],
      subscribe: async ({ topics }) => {
        await sleep(50);
        return { op: 'subscribe', topics };
      },
    }).start();
    await waitForEvent(stream, 'open');
    stream.subscribe('late');
    await waitForState(stream, 'open');
    await feed.waitForMessage((data) => data.op === 'subscribe' && data.topics.includes('late'));
    await sleep(100);
    expect(sentOps(feed)).toEqual([{ op: 'subscribe', topics: ['a'] }, { op: 'subscribe', topics: ['late'] }]);
  });

  it('calls a url function before every dial with the attempt context', async () => {
    const feed = await openFeed();
    const contexts: Array<{ attempt: number; isReconnect: boolean }> = [];
    const stream = jsonStream(feed, {
      url: async ({ attempt, isReconnect, signal }) => {
        expect(signal).toBeInstanceOf(AbortSignal);
        contexts.push({ attempt, isReconnect });
        return new URL(`${feed.url}?token=t${contexts.length}`);
      },
    }).start();
    await waitForState(stream, 'open');
    feed.faults.drop();
    await waitForEvent(stream, 'open', (event) => event.isReconnect);
    expect(contexts).toEqual([{ attempt: 0, isReconnect: false }, { attempt: 1, isReconnect: true }]);
    expect(feed.connections.at(-1)).toBeDefined();
  });

  it('passes protocols and clientOptions to the WebSocket constructor it is given', async () => {
    const feed = await openFeed();
    const { WebSocket } = await import('ws');
    const calls: unknown[][] = [];
    class Recording extends WebSocket {
      constructor(...args: any[]) {
        calls.push(args);
        super(args[0], args[1], args[2]);
      }
    }
    const stream = jsonStream(feed, { WebSocket: Recording as never, protocols: ['feed.v1'], clientOptions: { headers: { 'x-api-key': 'k' } } }).start();
    await waitForState(stream, 'open');
    expect(calls).toHaveLength(1);
    expect(calls[0]![1]).toEqual(['feed.v1']);
    // maxMessageBytes becomes ws's maxPayload, so an oversized frame is refused while it arrives.
    expect(calls[0]![2]).toEqual({ headers: { 'x-api-key': 'k' }, maxPayload: 16 * 1024 * 1024 });
  });
});

describe('how connections end', () => {
  it.each([1000, 1001, 1011, 4000])('reconnects after close code %i, with close and reconnecting events', async (code) => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] }).start();
    await waitForState(stream, 'open');
    const recorder = new EventRecorder(stream);
    feed.faults.closeAll(code, 'bye');
    await waitForEvent(stream, 'open');
    await waitForState(stream, 'open');
    expect(recorder.story).toEqual([`close:${code}`, 'state:reconnecting', 'reconnecting', 'state:connecting', 'open', 'state:open']);
    expect(recorder.of('close')[0]).toEqual({ code, reason: 'bye', wasClean: true, willReconnect: true });
    expect(recorder.of('reconnecting')[0]).toMatchObject({ attempt: 1 });
  });

  it('reconnects after an abrupt drop (1006, not clean)', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const closed = waitForEvent(stream, 'close');
    feed.faults.drop();
    expect(await closed).toEqual({ code: 1006, reason: '', wasClean: false, willReconnect: true });
    await waitForEvent(stream, 'open');
  });

  it('fails for good on a policy close (1008): RS_FATAL_CLOSE with the close code, then state failed', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const recorder = new EventRecorder(stream);
    feed.faults.closeAll(1008, 'policy');
    await waitForState(stream, 'failed');
    expect(recorder.story).toEqual(['close:1008', 'state:failed', 'error:RS_FATAL_CLOSE']);
    expect(recorder.of('close')[0]).toMatchObject({ willReconnect: false });
    const error = recorder.of('error')[0]!;
    expect(error).toMatchObject({ closeCode: 1008, closeReason: 'policy' });
    await sleep(100);
    expect(feed.connectionsAccepted).toBe(1);
  });

  it.each([401, 403])('fails for good on handshake status %i with RS_FATAL_CLOSE caused by RS_HANDSHAKE_REJECTED', async (status) => {
    const feed = await openFeed();
    feed.faults.rejectHandshakes(status, { count: 1 });
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'failed');
    const errors = stream.errors as Array<Error & { code: string; status?: number; cause?: any }>;
    expect(errors.map((error) => error.code)).toEqual(['RS_HANDSHAKE_REJECTED', 'RS_FATAL_CLOSE']);
    expect(errors[0]!.status).toBe(status);
    expect(errors[1]!.status).toBe(status);
    expect(errors[1]!.cause).toBe(errors[0]);
  });

  it('retries a 500 handshake and connects once the server accepts', async () => {
    const feed = await openFeed();
    feed.faults.rejectHandshakes(500, { count: 2 });
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open', 5_000);
    const errors = stream.errors as Array<Error & { code: string; status?: number }>;
    expect(errors.map((error) => [error.code, error.status])).toEqual([['RS_HANDSHAKE_REJECTED', 500], ['RS_HANDSHAKE_REJECTED', 500]]);
  });

  it('honours Retry-After on a 429 as a floor for the next delay (capped by maxDelayMs)', async () => {
    const feed = await openFeed();
    feed.faults.rejectHandshakes(429, { count: 1, headers: { 'Retry-After': '1' } });
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 10, maxDelayMs: 5_000 } }).start();
    const reconnecting = await waitForEvent(stream, 'reconnecting');
    expect(reconnecting.delayMs).toBe(1_000);
    await waitForState(stream, 'open', 5_000);
  });

  it('times out a handshake that never completes (RS_CONNECT_TIMEOUT) and retries', async () => {
    const feed = await openFeed();
    feed.faults.hangHandshakes({ count: 1 });
    const stream = jsonStream(feed, { connectTimeoutMs: 200 }).start();
    const error = await waitForEvent(stream, 'error');
    expect(error.code).toBe('RS_CONNECT_TIMEOUT');
    expect(error.message).toContain('200 ms');
    await waitForState(stream, 'open', 5_000);
  });

  it('rides out a server restart on the same port', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] }).start();
    await waitForState(stream, 'open');
    await feed.faults.stop();
    await waitForEvent(stream, 'reconnecting');
    await sleep(200);
    await feed.faults.restart();
    await waitForEvent(stream, 'open', (event) => event.isReconnect, 5_000);
    await feed.waitForMessage((data) => data.op === 'subscribe');
  });

  it('gives up after maxAttempts failed reconnect attempts (RS_RETRIES_EXHAUSTED); start() starts over', async () => {
    const feed = await openFeed();
    const port = feed.port;
    await feed.faults.stop();
    const stream = jsonStream(feed, { url: `ws://127.0.0.1:${port}/`, backoff: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 } });
    const recorder = new EventRecorder(stream);
    stream.start();
    await waitForState(stream, 'failed', 5_000);
    expect(recorder.of('reconnecting').map((event) => event.attempt)).toEqual([1, 2, 3]);
    const codes = stream.errors.map((error: any) => error.code);
    expect(codes.slice(0, 4)).toEqual(['RS_CONNECT_FAILED', 'RS_CONNECT_FAILED', 'RS_CONNECT_FAILED', 'RS_CONNECT_FAILED']);
    expect(codes.at(-1)).toBe('RS_RETRIES_EXHAUSTED');
    await feed.faults.restart();
    stream.start();
    await waitForState(stream, 'open', 5_000);
    expect(recorder.of('open').at(-1)).toMatchObject({ attempt: 0, isReconnect: false });
  });

  it('maxAttempts 0 never reconnects', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff: { maxAttempts: 0 } }).start();
    await waitForState(stream, 'open');
    feed.faults.drop();
    await waitForState(stream, 'failed');
    expect(stream.errors.map((error: any) => error.code)).toEqual(['RS_RETRIES_EXHAUSTED']);
  });

  it('shouldReconnect decides, and a false answer fails with the triggering error as cause', async () => {
    const feed = await openFeed();
    const seen: unknown[] = [];
    const stream = jsonStream(feed, { shouldReconnect: (context) => { seen.push(context); return context.code !== 4001; } }).start();
    await waitForState(stream, 'open');
    feed.faults.closeAll(4002, 'again');
    await waitForEvent(stream, 'open');
    feed.faults.closeAll(4001, 'stop');
    await waitForState(stream, 'failed');
    expect(seen).toMatchObject([{ code: 4002, reason: 'again' }, { code: 4001, reason: 'stop' }]);
    expect(stream.errors.at(-1)).toMatchObject({ code: 'RS_FATAL_CLOSE', closeCode: 4001 });
  });
});

describe('backoff between attempts', () => {
  it('reports delays within the full-jitter cap and resets the attempt count only after resetAfterMs', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 40, maxDelayMs: 1_000, factor: 2, resetAfterMs: 400 } });
    const recorder = new EventRecorder(stream);
    stream.start();
    await waitForState(stream, 'open');
    for (let i = 0; i < 3; i++) {
      feed.faults.drop(); // flapping: open far less than resetAfterMs
      await waitForEvent(stream, 'open');
    }
    await sleep(500); // now healthy
    feed.faults.drop();
    await waitForEvent(stream, 'open');
    const events = recorder.of('reconnecting');
    expect(events.map((event) => event.attempt)).toEqual([1, 2, 3, 1]);
    events.forEach((event) => {
      const cap = Math.min(1_000, 40 * 2 ** (event.attempt - 1));
      expect(event.delayMs).toBeGreaterThanOrEqual(0);
      expect(event.delayMs).toBeLessThanOrEqual(cap);
    });
  });

  it('reconnect() drops the socket and dials at once with no delay', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 10_000, maxDelayMs: 10_000, jitter: 'none' } }).start();
    await waitForState(stream, 'open');
    const reconnecting = waitForEvent(stream, 'reconnecting');
    const started = Date.now();
    stream.reconnect('rotate credentials');
    expect(await reconnecting).toMatchObject({ delayMs: 0, reason: 'rotate credentials' });
    await waitForEvent(stream, 'open');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reconnect() during a backoff wait cuts it short', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff: { initialDelayMs: 10_000, maxDelayMs: 10_000, jitter: 'none' } }).start();
    await waitForState(stream, 'open');
    feed.faults.drop();
    expect(await waitForEvent(stream, 'reconnecting')).toMatchObject({ delayMs: 10_000 });
    stream.reconnect();
    await waitForEvent(stream, 'open', () => true, 2_000);
  });
});

describe('sending', () => {
  it('drops queued messages older than maxAgeMs and the oldest on overflow, and counts them', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { sendQueue: { maxMessages: 2, maxAgeMs: 10_000 } });
    stream.send({ op: 'x', id: 1 });
    stream.send({ op: 'x', id: 2 });
    stream.send({ op: 'x', id: 3 });
    expect(stream.health()).toMatchObject({ queued: 2, dropped: 1 });
    stream.start();
    await feed.waitForMessage((data) => data.id === 3);
    expect(sentOps(feed).filter((m) => m.op === 'x').map((m) => m.id)).toEqual([2, 3]);
  });

  it('expires queued messages', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { sendQueue: { maxMessages: 10, maxAgeMs: 50 } });
    stream.send({ op: 'x', id: 'old' } as never);
    await sleep(120);
    stream.send({ op: 'x', id: 'fresh' } as never);
    stream.start();
    await feed.waitForMessage((data) => data.id === 'fresh');
    expect(sentOps(feed).filter((m) => m.op === 'x').map((m) => m.id)).toEqual(['fresh']);
    expect(stream.health().dropped).toBe(1);
  });

  it('with the queue disabled, send() is false until open', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { sendQueue: false });
    expect(stream.send({ op: 'x' })).toBe(false);
    stream.start();
    await waitForState(stream, 'open');
    expect(stream.send({ op: 'x' })).toBe(true);
  });

  it('an unencodable message gives RS_ENCODE and false; the stream goes on', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(stream.send(circular)).toBe(false);
    expect(stream.errors.map((error: any) => error.code)).toEqual(['RS_ENCODE']);
    expect(stream.send({ op: 'fine' })).toBe(true);
  });
});

describe('close()', () => {
  it('closes cleanly with a close event that will not reconnect, and is idempotent and terminal', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const recorder = new EventRecorder(stream);
    const first = stream.close(1000, 'done');
    const second = stream.close();
    await Promise.all([first, second]);
    expect(recorder.story).toEqual(['close:1000', 'state:closed']);
    expect(recorder.of('close')[0]).toMatchObject({ willReconnect: false, wasClean: true });
    expect(stream.send({ op: 'x' })).toBe(false);
    expect(() => stream.start()).toThrowError(expect.objectContaining({ code: 'RS_CLOSED' }));
    await sleep(100);
    expect(feed.connectionCount).toBe(0);
  });

  it('close() during a backoff wait, or before start(), leaves no timers', async () => {
    const feed = await openFeed();
    await feed.faults.stop();
    const stream = jsonStream(feed, { url: `ws://127.0.0.1:${feed.port}/`, backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 'none' } }).start();
    await waitForEvent(stream, 'reconnecting');
    await stream.close();
    expect(stream.state).toBe('closed');
    const idle = new ResilientStream({ url: 'ws://127.0.0.1:1/' });
    await idle.close();
    expect(idle.state).toBe('closed');
  });

  it('an aborted signal closes the stream', async () => {
    const feed = await openFeed();
    const controller = new AbortController();
    const stream = jsonStream(feed, { signal: controller.signal }).start();
    await waitForState(stream, 'open');
    controller.abort();
    await waitForState(stream, 'closed');
  });

  it('a signal aborted before construction closes the stream at once; start() then says why it cannot start', async () => {
    const controller = new AbortController();
    controller.abort();
    const stream = new ResilientStream({ url: 'ws://127.0.0.1:9/', signal: controller.signal });
    await waitForState(stream, 'closed');
    expect(() => stream.start()).toThrow(expect.objectContaining({
      code: 'RS_CLOSED', message: 'Expected a stream that is not closed, but start() was called after close() or after its `signal` aborted.',
    }));
  });

  it('close() with a code or reason a close frame cannot carry still closes cleanly, sends 1000 and a cut reason, and says so', async () => {
    const feed = await openFeed();
    const seen = new Promise<{ code: number; reason: string }>((resolve) => feed.once('disconnect', resolve));
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const closes: Array<{ code: number; reason: string }> = [];
    stream.on('close', ({ code, reason }) => closes.push({ code, reason }));
    // A listener that calls close() again while the first call reports gets the same promise.
    const again: Array<Promise<void>> = [];
    stream.on('error', () => again.push(stream.close()));
    const reason = 'é'.repeat(70); // 140 UTF-8 bytes
    await stream.close(99_999, reason);
    await Promise.all(again);
    expect(await seen).toEqual(expect.objectContaining({ code: 1000, reason: 'é'.repeat(61) }));
    expect(closes).toEqual([{ code: 1000, reason: 'é'.repeat(61) }]);
    expect(stream.errors.map((error) => error.message)).toEqual([
      'Expected close() to get a code of 1000 or 3000-4999, got 99999; closed with 1000.',
      'Expected close() to get a reason of at most 123 UTF-8 bytes, got 140; sent its first 122.',
    ]);
    expect(again).toHaveLength(2);
    expect(stream.state).toBe('closed');
  });

  it('close() takes 1000 and 3000-4999 as they are', async () => {
    const feed = await openFeed();
    const seen = new Promise<{ code: number; reason: string }>((resolve) => feed.once('disconnect', resolve));
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    await stream.close(4321, 'maintenance');
    expect(await seen).toEqual(expect.objectContaining({ code: 4321, reason: 'maintenance' }));
    expect(stream.errors).toEqual([]);
  });

  it('await using closes at the end of the scope', async () => {
    const feed = await openFeed();
    let captured: ResilientStream<FeedMessage, unknown> | undefined;
    {
      await using stream = new ResilientStream<FeedMessage, unknown>(jsonOptions(feed));
      captured = stream.start();
      await waitForState(stream, 'open');
    }
    expect(captured!.state).toBe('closed');
  });
});

describe('async iteration', () => {
  it('yields messages in order and ends when the stream closes', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    const seqs: number[] = [];
    const consumer = (async () => {
      for await (const message of stream) {
        if (message.topic === 'a') seqs.push(message.seq!);
        if (seqs.length === 5) void stream.close();
      }
    })();
    for (let i = 0; i < 5; i++) feed.publish('a');
    await consumer;
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(5);
  });

  it('ends with the error when the stream fails', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    feed.faults.closeAll(1008);
    await expect(next).rejects.toMatchObject({ code: 'RS_FATAL_CLOSE' });
  });
});

describe('bad input never stops the stream', () => {
  it('a throwing listener is reported as RS_LISTENER and the other listeners still run', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'] }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    const seen: number[] = [];
    stream.on('message', () => { throw new Error('listener bug'); });
    stream.on('message', (message) => { if (message.seq !== undefined) seen.push(message.seq); });
    feed.publish('a');
    feed.publish('a');
    await waitForEvent(stream, 'message', () => seen.length === 2);
    await sleep(20);
    expect(seen).toHaveLength(2);
    expect(stream.errors.map((error: any) => [error.code, error.event])).toEqual([['RS_LISTENER', 'message'], ['RS_LISTENER', 'message']]);
    expect(stream.state).toBe('open');
  });

  it('a throwing error listener is swallowed', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'], decode: () => { throw new Error('bad frame'); } });
    stream.on('error', () => { throw new Error('error listener bug'); });
    stream.start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    feed.publish('a');
    await waitForEvent(stream, 'error');
    expect(stream.state).toBe('open');
  });

  it('an undecodable message gives RS_DECODE, is skipped, and later messages flow', async () => {
    const feed = await openFeed();
    let calls = 0;
    const stream = jsonStream(feed, {
      topics: ['a'],
      decode: (data) => {
        calls++;
        if (calls === 2) throw new SyntaxError('Unexpected token');
        return JSON.parse(data as string);
      },
    }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    const messages: FeedMessage[] = [];
    stream.on('message', (message) => messages.push(message));
    for (let i = 0; i < 3; i++) feed.publish('a');
    await waitForEvent(stream, 'message', () => messages.filter((m) => m.topic === 'a').length === 2);
    expect(stream.errors.map((error: any) => error.code)).toEqual(['RS_DECODE']);
    expect(stream.state).toBe('open');
  });

  it('a message over maxMessageBytes gives RS_MESSAGE_TOO_LARGE and a fresh socket', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a'], maxMessageBytes: 200 }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    feed.publish('a', { blob: 'x'.repeat(500) });
    const error = await waitForEvent(stream, 'error');
    expect(error.code).toBe('RS_MESSAGE_TOO_LARGE');
    await waitForEvent(stream, 'open', (event) => event.isReconnect);
  });
});

describe('secrets and generations', () => {
  it('redacts credentials from the url in events and error messages', async () => {
    const feed = await openFeed();
    feed.faults.rejectHandshakes(500, { count: 1 });
    const url = feed.url.replace('ws://', 'ws://user:hunter2@') + '?token=s3cret&x=1';
    const stream = jsonStream(feed, { url }).start();
    const open = await waitForEvent(stream, 'open', () => true, 5_000);
    expect(open.url).toBe(`${new URL(feed.url).href}?token=***&x=***`);
    const texts = stream.errors.map((error) => `${error.message} ${String((error as any).cause?.message)}`).join(' ');
    expect(texts).toContain('HTTP 500');
    expect(texts).not.toContain('s3cret');
    expect(texts).not.toContain('hunter2');
  });

  it('a replaced socket can never speak: its late events are ignored', async () => {
    const feed = await openFeed();
    const sockets: any[] = [];
    const { WebSocket } = await import('ws');
    class Capturing extends WebSocket {
      constructor(...args: any[]) {
        super(args[0], args[1]);
        sockets.push(this);
      }
    }
    const stream = jsonStream(feed, { WebSocket: Capturing as never }).start();
    await waitForState(stream, 'open');
    const old = sockets[0];
    const listeners = old.listeners('message') as Array<(data: Buffer, isBinary: boolean) => void>;
    const closeListeners = old.listeners('close') as Array<(code: number, reason: Buffer) => void>;
    stream.reconnect();
    await waitForEvent(stream, 'open', (event) => event.isReconnect);
    await waitForState(stream, 'open');
    const messages: unknown[] = [];
    const recorder = new EventRecorder(stream);
    stream.on('message', (message) => messages.push(message));
    // As ws calls them: with the socket as `this`.
    for (const listener of listeners) listener.call(old, Buffer.from('{"topic":"ghost"}'), false);
    for (const listener of closeListeners) listener.call(old, 1006, Buffer.from(''));
    await sleep(20);
    expect(messages).toEqual([]);
    expect(recorder.story).toEqual([]);
    expect(stream.state).toBe('open');
  });
});

describe('health()', () => {
  it('reports counters, times and per-topic ages', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { topics: ['a', 'b'], staleAfterMs: 5_000 });
    const before = stream.health();
    expect(before).toMatchObject({ state: 'idle', connected: false, lastMessageAt: null, lastMessageAgeMs: null, connectedSince: null, messagesReceived: 0 });
    expect(before.topics).toEqual({ a: { lastMessageAt: null, stale: false, resyncing: false }, b: { lastMessageAt: null, stale: false, resyncing: false } });
    stream.start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    feed.publish('a');
    await waitForEvent(stream, 'message', (m) => m.topic === 'a');
    const health = stream.health();
    expect(health).toMatchObject({ state: 'open', connected: true, attempt: 0, reconnects: 0, storm: false, staleThresholdMs: 5_000 });
    expect(health.messagesReceived).toBe(2); // the subscription ack and the data message
    expect(health.lastMessageAt).toBeGreaterThan(Date.now() - 1_000);
    expect(health.lastMessageAgeMs).toBeLessThan(1_000);
    expect(health.connectedSince).toBeLessThanOrEqual(Date.now());
    expect(health.topics.a!.lastMessageAt).not.toBeNull();
    expect(health.topics.b!.lastMessageAt).toBeNull();
  });

  it('lists topics named like Object.prototype keys under their own names', () => {
    const stream = track(new ResilientStream({ url: 'ws://127.0.0.1:9/', topics: ['__proto__', 'constructor', 'a'] }));
    const { topics } = stream.health();
    expect(Object.keys(topics)).toEqual(['__proto__', 'constructor', 'a']);
    expect(Object.getPrototypeOf(topics)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(topics, '__proto__')?.value).toEqual({ lastMessageAt: null, stale: false, resyncing: false });
  });
});

describe('an async unsubscribe hook', () => {
  it('has its messages sent on the same socket; a rejection is RS_SUBSCRIBE, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const feed = await openFeed();
      let fail = false;
      const stream = jsonStream(feed, {
        topics: ['a', 'b'],
        unsubscribe: async ({ topics }) => {
          await sleep(10);
          if (fail) throw Object.create(null); // no string form, on purpose
          return { op: 'unsubscribe', topics };
        },
      }).start();
      await waitForState(stream, 'open');
      stream.unsubscribe('a');
      await feed.waitForMessage((data) => data.op === 'unsubscribe' && data.topics.includes('a'));
      fail = true;
      stream.unsubscribe('b');
      await sleep(50);
      expect(stream.errors.map((error) => (error as { code?: string }).code)).toEqual(['RS_SUBSCRIBE']);
      expect(stream.state).toBe('open');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
