import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { pipeTo, PipeRejectError, redisStreamsSink, UnwritableMessagesError, type PipeWriteError } from '../../src/node/index.js';
import { jsonOptions, openFeed, useCleanup, type FeedMessage } from '../helpers/fixtures.js';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { redisAvailable, startRedis, type TestRedis } from '../helpers/redis.js';
import { bundle } from './bundle.js';

useCleanup();
let redis: TestRedis;
let client: ReturnType<typeof createClient>;
let keyCounter = 0;
const freshKey = (): string => `test:${process.pid}:${++keyCounter}`;

describe('redisStreamsSink options', () => {
  const refuse = (options: unknown): unknown => redisStreamsSink(options as never);
  const known = 'Expected one of `key`, `url`, `client`, `maxLen`, `sequence`, `idOf`, `field`, `encode`.';

  it('refuses a misspelt option (it would be ignored: a seqeunce typo writes * ids, so retries duplicate), a null options object and wrong types', () => {
    expect(() => refuse({ key: 'k', seqeunce: () => 1 })).toThrow(new TypeError(`Unknown option \`seqeunce\`; did you mean \`sequence\`? ${known}`));
    expect(() => refuse({ key: 'k', maxlen: 5 })).toThrow(new TypeError(`Unknown option \`maxlen\`; did you mean \`maxLen\`? ${known}`));
    expect(() => refuse({ key: 'k', password: 'x' })).toThrow(new TypeError(`Unknown option \`password\`. ${known}`));
    expect(() => refuse(null)).toThrow(new TypeError('Expected `options` to be an object, got null.'));
    expect(() => refuse(undefined)).toThrow(new TypeError('Expected `options` to be an object, got undefined.'));
    for (const field of ['sequence', 'idOf', 'encode']) expect(() => refuse({ key: 'k', [field]: 5 })).toThrow(new TypeError(`Expected \`${field}\` to be a function, got 5.`));
    expect(() => refuse({ key: 'k', url: 5 })).toThrow(new TypeError('Expected `url` to be a non-empty string, got 5.'));
    expect(() => refuse({ key: 'k', field: '' })).toThrow(new TypeError('Expected `field` to be a non-empty string, got "".'));
    expect(() => refuse({ key: 'k', client: {} })).toThrow(new TypeError('Expected `client` to be a connected node-redis client (with multi()), got an object.'));
    expect(() => refuse({ key: 5 })).toThrow(new TypeError('Expected `key` to be a non-empty string or a function, got 5.'));
  });
});

describe.skipIf(!redisAvailable())('the Redis Streams sink (real redis-server)', () => {
  beforeAll(async () => {
    redis = await startRedis();
    client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await redis?.stop();
  });

  const ids = async (key: string): Promise<string[]> => (await client.xRange(key, '-', '+')).map((entry) => entry.id);

  it('writes <seq>-0 ids and counts a rewrite of the same or an older sequence as a duplicate, per key', async () => {
    const key = freshKey();
    const sink = redisStreamsSink<{ seq: number; topic: string }>({ url: redis.url, key: (m) => `${key}:${m.topic}`, sequence: (m) => m.seq });
    await sink.write([{ topic: 'a', seq: 1 }, { topic: 'b', seq: 1 }, { topic: 'a', seq: 2 }]);
    await sink.write([{ topic: 'a', seq: 2 }, { topic: 'a', seq: 1 }, { topic: 'a', seq: 3 }, { topic: 'b', seq: 2 }]);
    await sink.close();
    expect(await ids(`${key}:a`)).toEqual(['1-0', '2-0', '3-0']);
    expect(await ids(`${key}:b`)).toEqual(['1-0', '2-0']);
    expect(sink.stats).toEqual({ written: 5, duplicates: 2, skipped: 0 });
    const [entry] = await client.xRange(`${key}:a`, '1-0', '1-0');
    expect(JSON.parse(entry!.message.data!)).toEqual({ topic: 'a', seq: 1 });
  });

  it('takes [first, last] ranges (the last is the id), skips messages without a sequence, and trims with MAXLEN ~', async () => {
    const key = freshKey();
    const sink = redisStreamsSink<{ U?: number; u?: number }>({ url: redis.url, key, maxLen: 10, sequence: (m) => (m.u === undefined ? undefined : [m.U!, m.u]) });
    const batch = Array.from({ length: 300 }, (_, i) => ({ U: 3 * i + 1, u: 3 * i + 3 }));
    await sink.write([{}, ...batch]);
    await sink.close();
    expect(sink.stats).toEqual({ written: 300, duplicates: 0, skipped: 1 });
    const written = await ids(key);
    expect(written.length).toBeLessThan(300); // approximate trimming: whole macro nodes go
    expect(written.at(-1)).toBe('900-0');
  });

  it('idOf gives whole entry ids with the same duplicate rule; a malformed id is a write error naming it', async () => {
    const key = freshKey();
    const sink = redisStreamsSink<{ ts: number; n: number }>({ client, key, idOf: (m) => `${m.ts}-${m.n}` });
    await sink.write([{ ts: 1_700_000_000_000, n: 0 }, { ts: 1_700_000_000_000, n: 1 }, { ts: 1_700_000_000_001, n: 0 }]);
    await sink.write([{ ts: 1_700_000_000_000, n: 1 }, { ts: 1_700_000_000_002, n: 0 }]);
    expect(await ids(key)).toEqual(['1700000000000-0', '1700000000000-1', '1700000000001-0', '1700000000002-0']);
    expect(sink.stats).toEqual({ written: 4, duplicates: 1, skipped: 0 });
    const bad = redisStreamsSink<string>({ client, key, idOf: (m) => m });
    await expect(bad.write(['12:00'])).rejects.toThrow(new UnwritableMessagesError([{ index: 0, cause: new TypeError('Expected idOf() to give an entry id like "1700000000000-0", got "12:00".') }], 1));
    expect(() => redisStreamsSink({ client, key: '' })).toThrow('Expected `key` to be a non-empty string or a function, got "".');
  });

  it('a message with no valid id or value (NaN or string sequence, malformed idOf, a BigInt, a throwing key) is named in one UnwritableMessagesError and nothing of the batch is written', async () => {
    const key = freshKey();
    type M = { seq: unknown; big?: bigint; badKey?: boolean };
    const sink = redisStreamsSink<M>({ client, key: (m) => (m.badKey === true ? (() => { throw new Error('no topic'); })() : key), sequence: (m) => m.seq as number });
    const batch: M[] = [{ seq: 1 }, { seq: Number.NaN }, { seq: '2' }, { seq: 3, big: 4n }, { seq: 4, badKey: true }, { seq: null }, { seq: undefined }, { seq: 5 }];
    const error = await sink.write(batch).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnwritableMessagesError);
    expect((error as UnwritableMessagesError).unwritable.map(({ index, cause }) => [index, (cause as Error).message])).toEqual([
      [1, 'Expected sequence() to give a safe integer >= 0 or a [first, last] pair, got NaN.'],
      [2, 'Expected sequence() to give a safe integer >= 0 or a [first, last] pair, got "2".'],
      [3, 'Do not know how to serialize a BigInt'],
      [4, 'no topic'],
      [5, 'Expected sequence() to give a safe integer >= 0 or a [first, last] pair, got null.'],
    ]);
    expect(await client.exists(key)).toBe(0);
    expect(sink.stats).toEqual({ written: 0, duplicates: 0, skipped: 0 });
    // Through pipeTo, the rest is written in order and the pipe goes on.
    const source = Object.assign(new EventEmitter(), { state: 'open', pause() {}, resume() {} });
    const rejected: unknown[] = [];
    const done = pipeTo<M>(source, sink, { flushIntervalMs: 1, onError: (e) => void (e instanceof PipeRejectError && rejected.push(e.rejectedMessage)) });
    for (const message of batch) source.emit('message', message);
    source.state = 'closed';
    source.emit('state', { to: 'closed' });
    expect(await done).toMatchObject({ received: 8, written: 3, rejected: 5, retried: 0 });
    expect(rejected).toEqual(batch.slice(1, 6));
    expect(await ids(key)).toEqual(['1-0', '5-0']);
    expect(sink.stats).toEqual({ written: 2, duplicates: 0, skipped: 1 });
  });

  it('without a sequence it adds entries with * ids, and a sink with a given client leaves that client open', async () => {
    const key = freshKey();
    const sink = redisStreamsSink<number>({ client, key, maxLen: false });
    await sink.write([1, 2, 3]);
    await sink.close();
    expect(await client.xLen(key)).toBe(3);
    expect(await client.ping()).toBe('PONG');
  });

  it('a write while Redis is unreachable rejects (pipeTo retries it) and never crashes the process', async () => {
    const sink = redisStreamsSink<number>({ url: 'redis://127.0.0.1:1', key: 'x' });
    await expect(sink.write([1])).rejects.toThrow();
    await sink.close();
  });

  it('a batch Redis refuses (out of memory) is retried whole with backoff: nothing lost, nothing doubled', async () => {
    const key = freshKey();
    const feed = await openFeed();
    const stream = new ResilientStream<FeedMessage, unknown>(jsonOptions(feed, { topics: ['a'], sequence: (m) => m.seq }));
    stream.on('error', () => {});
    const sink = redisStreamsSink<FeedMessage>({ url: redis.url, key, sequence: (m) => m.seq });
    const failures: PipeWriteError[] = [];
    const piped = pipeTo(stream, sink, { batchSize: 10, flushIntervalMs: 5, retry: { initialDelayMs: 10, maxDelayMs: 40 }, filter: (m) => m.seq !== undefined, onError: (error) => void (error.code === 'RS_SINK_WRITE' && failures.push(error)) });
    stream.start();
    await waitForState(stream, 'open');
    await waitForSubscribers(feed);
    for (let i = 0; i < 20; i++) feed.publish('a');
    await waitFor(() => sink.stats.written === 20);
    await client.configSet('maxmemory', '1'); // noeviction: every write is refused with OOM
    try {
      for (let i = 0; i < 25; i++) feed.publish('a');
      await waitFor(() => failures.length >= 3);
      expect(sink.stats.written).toBe(20);
    } finally {
      await client.configSet('maxmemory', '0');
    }
    await waitFor(() => sink.stats.written === 45);
    await stream.close();
    const result = await piped;
    await sink.close();
    expect(result).toMatchObject({ received: 45, written: 45, unwritten: 0 });
    expect(result.retried).toBe(failures.length);
    expect(failures[0]!.message).toMatch(/^Sink write of \d+ message\(s\) failed \(attempt 1\): .*(OOM|EXECABORT)/);
    expect(failures.map((failure) => failure.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    expect(await ids(key)).toEqual(Array.from({ length: 45 }, (_, i) => `${i + 1}-0`));
    expect(sink.stats.duplicates).toBe(0);
  });

  it('across a reconnect resync, a message the stream delivers again is not written twice', async () => {
    const key = freshKey();
    const feed = await openFeed({ historyLimit: 1_000 });
    // No snapshot sequence from the hook: after the reconnect the stream counts afresh, so a
    // venue that replays its last message delivers it again, and only the sink can drop it.
    const stream = new ResilientStream<FeedMessage, unknown>(jsonOptions(feed, { topics: ['a'], sequence: (m) => m.seq, resync: () => ({}) }));
    stream.on('error', () => {});
    const sink = redisStreamsSink<FeedMessage>({ url: redis.url, key, sequence: (m) => m.seq });
    const piped = pipeTo(stream, sink, { batchSize: 10, flushIntervalMs: 5, filter: (m) => m.seq !== undefined });
    stream.start();
    await waitForState(stream, 'open');
    await waitForSubscribers(feed);
    for (let i = 0; i < 30; i++) feed.publish('a');
    await waitFor(() => sink.stats.written === 30);

    const reopened = waitForEvent(stream, 'resynced', (event) => event.reason === 'reconnect');
    feed.faults.drop();
    await reopened;
    await waitForState(stream, 'open');
    await waitForSubscribers(feed);
    expect(feed.faults.duplicate('a')).toBe(1); // seq 30 again, right after the resync
    for (let i = 0; i < 20; i++) feed.publish('a');
    await waitFor(() => sink.stats.written + sink.stats.duplicates === 51);
    await stream.close();
    const result = await piped;
    await sink.close();

    expect(result).toMatchObject({ received: 51, written: 51 });
    expect(sink.stats).toEqual({ written: 50, duplicates: 1, skipped: 0 });
    expect(await ids(key)).toEqual(Array.from({ length: 50 }, (_, i) => `${i + 1}-0`));
  });

  it('across make-before-break rotations under a flowing feed, every entry is written once and none is missing', async () => {
    const key = freshKey();
    const feed = await openFeed({ messagesPerSecond: 100 });
    const stream = new ResilientStream<FeedMessage, unknown>(jsonOptions(feed, {
      topics: ['a'], sequence: (m) => m.seq, rotate: { maxAgeMs: 120, overlapMs: 3_000 },
    }));
    stream.on('error', () => {});
    let rotations = 0;
    stream.on('rotated', () => rotations++);
    const sink = redisStreamsSink<FeedMessage>({ url: redis.url, key, sequence: (m) => m.seq });
    const piped = pipeTo(stream, sink, { batchSize: 10, flushIntervalMs: 5, filter: (m) => m.seq !== undefined });
    stream.start();
    await waitFor(() => rotations >= 5);
    await stream.close();
    const result = await piped;
    await sink.close();
    const seqs = (await ids(key)).map((id) => Number(id.split('-')[0]));
    expect(seqs.length).toBeGreaterThan(50);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i)); // contiguous, no repeats
    expect(result.written).toBe(seqs.length);
    expect(sink.stats.duplicates).toBe(0); // the stream itself delivered each sequence once
  });

  it('SIGTERM mid-stream in a worker: close, drain, quit; everything it received is in Redis; exit 0', async () => {
    const key = freshKey();
    const feed = await openFeed({ messagesPerSecond: 400 });
    const worker = await bundle(join(import.meta.dirname, 'fixtures', 'redis-worker.ts'), 'redis-worker');
    const child = spawn(process.execPath, [worker, `${feed.url}`, redis.url, key], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => stdout.includes('ready'), 10_000);
    await sleep(1_000);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(code, stderr).toBe(0);

    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { received: number; written: number; unwritten: number; sink: { written: number } };
    expect(result.received).toBeGreaterThan(50);
    expect(result).toMatchObject({ written: result.received, unwritten: 0, sink: { written: result.received } });
    const entries = await client.xRange(key, '-', '+');
    expect(entries).toHaveLength(result.received);
    // Contiguous sequences, each once: nothing received was lost or doubled.
    const seqs = entries.map((entry) => Number(entry.id.split('-')[0]));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
  }, 30_000);
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${condition.toString()}`);
    await sleep(5);
  }
}

async function waitForSubscribers(feed: Awaited<ReturnType<typeof openFeed>>): Promise<void> {
  await waitFor(() => feed.subscriptions().includes('a'));
}
