import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { ndjsonFileSink, pipeTo, PipeRejectError, PipeWriteError, UnwritableMessagesError, type Sink } from '../../src/node/index.js';
import { sleep } from '../helpers/events.js';

/** A stand-in stream: emits what the test says, records pause() and resume(). */
class FakeSource extends EventEmitter {
  state = 'open';
  readonly calls: string[] = [];
  isPaused = false;
  pause(): void {
    this.calls.push('pause');
    this.isPaused = true;
  }
  resume(): void {
    this.calls.push('resume');
    this.isPaused = false;
  }
  push(...messages: number[]): void {
    for (const message of messages) this.emit('message', message);
  }
  close(): void {
    this.state = 'closed';
    this.emit('state', { from: 'open', to: 'closed', reason: 'close() called' });
  }
}

/** A sink that records batches, fails when told to, and can be slowed down. */
class RecordingSink implements Sink<number> {
  readonly batches: number[][] = [];
  failNext = 0;
  delayMs = 0;
  attempts = 0;
  get written(): number[] {
    return this.batches.flat();
  }
  async write(batch: readonly number[]): Promise<void> {
    this.attempts++;
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('sink down');
    }
    this.batches.push([...batch]);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rs-pipe-'));
  dirs.push(dir);
  return dir;
}

describe('pipeTo with a stand-in stream', () => {
  it('writes full batches at once and a partial batch after flushIntervalMs, in order', async () => {
    const source = new FakeSource();
    const sink = new RecordingSink();
    const done = pipeTo(source, sink, { batchSize: 3, flushIntervalMs: 50 });
    source.push(1, 2, 3, 4, 5, 6, 7);
    await sleep(10);
    expect(sink.batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    await sleep(80);
    expect(sink.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    source.close();
    // All 7 arrived in one tick, before the first write could start.
    expect(await done).toEqual({ received: 7, written: 7, rejected: 0, retried: 0, unwritten: 0, pauses: 0, maxBuffered: 7 });
  });

  it('retries a failing sink with backoff, reports each failure to onError, and never rejects', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
    const source = new FakeSource();
    const sink = new RecordingSink();
    sink.failNext = 3;
    const errors: PipeWriteError[] = [];
    const done = pipeTo(source, sink, { batchSize: 2, flushIntervalMs: 5, retry: { initialDelayMs: 5, maxDelayMs: 20 }, onError: (error) => void (error instanceof PipeWriteError && errors.push(error)) });
    source.push(1, 2, 3);
    source.close();
    const result = await done;
    expect(sink.written).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ received: 3, written: 3, retried: 3, unwritten: 0 });
    expect(errors.map((error) => [error.code, error.attempt, error.batchSize])).toEqual([['RS_SINK_WRITE', 1, 2], ['RS_SINK_WRITE', 2, 2], ['RS_SINK_WRITE', 3, 2]]);
    expect(errors[0]!.message).toMatch(/^Sink write of 2 message\(s\) failed \(attempt 1\): sink down; retrying in \d+ ms\.$/);
    expect((errors[0]!.cause as Error).message).toBe('sink down');
    await sleep(10);
    expect(unhandled).toEqual([]);
  });

  it('a throwing onError and a sink that throws synchronously do not stop the pipe', async () => {
    const source = new FakeSource();
    let calls = 0;
    const written: number[] = [];
    const sink: Sink<number> = {
      write(batch) {
        if (calls++ === 0) throw new Error('sync throw');
        written.push(...batch);
        return Promise.resolve();
      },
    };
    const done = pipeTo(source, sink, { batchSize: 10, flushIntervalMs: 1, retry: { initialDelayMs: 1 }, onError: () => {
      throw new Error('handler bug');
    } });
    source.push(1, 2);
    source.close();
    expect(await done).toMatchObject({ written: 2, retried: 1 });
    expect(written).toEqual([1, 2]);
  });

  it('a sink that empties or changes the array it is given still gets every message once, and each retry gets the whole batch', async () => {
    const source = new FakeSource();
    const seen: number[][] = [];
    let calls = 0;
    const sink: Sink<number> = {
      async write(batch) {
        calls++;
        const taken: number[] = [];
        const array = batch as number[];
        while (array.length > 0) taken.push(array.shift()!); // a consumer that drains what it is given
        seen.push(taken);
        if (calls === 2) throw new Error('failed after taking the batch');
      },
    };
    const done = pipeTo(source, sink, { batchSize: 2, flushIntervalMs: 1, retry: { initialDelayMs: 1 } });
    source.push(1, 2, 3, 4, 5);
    source.close();
    // Before, an emptied batch was taken off the buffer as 0 messages: the same batch was written again for ever.
    expect(await done).toMatchObject({ received: 5, written: 5, retried: 1 });
    expect(seen).toEqual([[1, 2], [3, 4], [3, 4], [5]]);
  });

  it('pauses the stream when maxBufferedMessages are held and resumes it once half are written', async () => {
    const source = new FakeSource();
    const sink = new RecordingSink();
    sink.delayMs = 30;
    const done = pipeTo(source, sink, { batchSize: 2, flushIntervalMs: 1, maxBufferedMessages: 6 });
    source.push(...range(1, 6));
    expect(source.calls).toEqual(['pause']);
    // 6 held -> the first batch (1, 2) is being written; resume comes at <= 3 held.
    await sleep(45);
    expect(source.calls).toEqual(['pause']);
    await sleep(60);
    expect(source.calls).toEqual(['pause', 'resume']);
    source.close();
    const result = await done;
    expect(sink.written).toEqual(range(1, 6));
    expect(result).toMatchObject({ received: 6, written: 6, pauses: 1, maxBuffered: 6 });
  });

  it('on abort it stops taking messages, drains what it holds, resolves, and leaves the stream resumed', async () => {
    const source = new FakeSource();
    const sink = new RecordingSink();
    sink.delayMs = 20;
    const controller = new AbortController();
    const done = pipeTo(source, sink, { batchSize: 2, maxBufferedMessages: 4, signal: controller.signal });
    source.push(1, 2, 3, 4, 5);
    controller.abort();
    source.push(6);
    const result = await done;
    expect(sink.written).toEqual([1, 2, 3, 4, 5]);
    expect(result).toMatchObject({ received: 5, written: 5, pauses: 1 });
    expect(source.isPaused).toBe(false);
    expect(source.listenerCount('message')).toBe(0);
    expect(source.listenerCount('state')).toBe(0);
  });

  it('gives up after drainTimeoutMs when the sink keeps failing while draining, and counts what was lost', async () => {
    const source = new FakeSource();
    const sink = new RecordingSink();
    sink.failNext = Infinity;
    const done = pipeTo(source, sink, { batchSize: 2, flushIntervalMs: 1000, drainTimeoutMs: 60, retry: { initialDelayMs: 10, maxDelayMs: 10 } });
    source.push(1, 2, 3);
    await sleep(5);
    source.close();
    const started = Date.now();
    const result = await done;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.written).toBe(0);
    expect(result.unwritten).toBe(3);
  });

  it('gives up at drainTimeoutMs on a write that never settles too, counting the batch it was writing as unwritten', async () => {
    const source = new FakeSource();
    let calls = 0;
    const sink: Sink<number> = { write: () => (calls++ === 0 ? Promise.resolve() : new Promise<void>(() => {})) };
    const done = pipeTo(source, sink, { batchSize: 2, flushIntervalMs: 1, drainTimeoutMs: 50 });
    source.push(1, 2, 3, 4, 5);
    await sleep(5);
    source.close();
    const started = Date.now();
    // Before, the promise never resolved: the deadline was only checked after a write failed.
    expect(await done).toMatchObject({ received: 5, written: 2, unwritten: 3 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('clears its drain deadline timer once drained, so a finished pipe holds nothing', async () => {
    const source = new FakeSource();
    const armed = new Set<unknown>();
    const clock = {
      now: () => Date.now(),
      setTimeout: (fn: () => void, ms: number) => { const timer = setTimeout(() => { armed.delete(timer); fn(); }, ms); armed.add(timer); return timer; },
      clearTimeout: (timer: unknown) => { armed.delete(timer); clearTimeout(timer as NodeJS.Timeout); },
    };
    const done = pipeTo(source, new RecordingSink(), { flushIntervalMs: 1, drainTimeoutMs: 60_000, clock });
    source.push(1);
    source.close();
    expect(await done).toMatchObject({ written: 1 });
    expect(armed.size).toBe(0);
  });

  it('with a pool (a source with members) it keeps taking messages until every member has closed', async () => {
    const members = [{ state: 'open' }, { state: 'open' }];
    const pool = Object.assign(new FakeSource(), { streams: members });
    const sink = new RecordingSink();
    const done = pipeTo(pool, sink, { flushIntervalMs: 1 });
    pool.push(1);
    pool.state = 'closed'; // pool.close() was called
    members[0]!.state = 'closed';
    pool.emit('state', { from: 'open', to: 'closed', reason: 'close() called' }, 0);
    pool.push(2); // member 1 still delivering while it closes
    members[1]!.state = 'closed';
    pool.emit('state', { from: 'open', to: 'closed', reason: 'close() called' }, 1);
    pool.push(3);
    expect(await done).toMatchObject({ received: 2, written: 2 });
    expect(sink.written).toEqual([1, 2]);
  });

  it('filter keeps acks and heartbeats out', async () => {
    const source = new FakeSource();
    const sink = new RecordingSink();
    const done = pipeTo(source, sink, { filter: (n) => n % 2 === 0, flushIntervalMs: 1 });
    source.push(...range(1, 10));
    source.close();
    expect(await done).toMatchObject({ received: 5, written: 5 });
    expect(sink.written).toEqual([2, 4, 6, 8, 10]);
  });

  it('resolves at once for a stream that is already closed, and names a bad option', async () => {
    const source = new FakeSource();
    source.state = 'closed';
    expect(await pipeTo(source, new RecordingSink())).toMatchObject({ received: 0, written: 0 });
    expect(() => pipeTo(new FakeSource(), new RecordingSink(), { batchSize: 0 })).toThrow('Expected `batchSize` to be an integer > 0, got 0.');
    const noPause = Object.assign(new EventEmitter(), { state: 'open' }) as unknown as FakeSource;
    expect(() => pipeTo(noPause, new RecordingSink())).toThrow('Expected `stream` to be a stream with pause() and resume() (a ResilientStream or a StreamPool), got an object.');
    expect(() => pipeTo(new FakeSource(), {} as Sink, {})).toThrow('Expected `sink` to be an object with a write(batch) method, or a file path, got an object.');
  });
});

describe('pipeTo refuses options it cannot honour', () => {
  const refuse = (options: unknown): void => void pipeTo(new FakeSource(), new RecordingSink(), options as never);

  it('a misspelt key, a null or non-object, a retry that is not an object, a signal or clock that is not one, a non-function callback', () => {
    expect(() => refuse({ batchsize: 5 })).toThrow(/^Unknown option `batchsize`; did you mean `batchSize`\? Expected one of `batchSize`, `flushIntervalMs`, /);
    expect(() => refuse({ retry: { maxDelay: 5 } })).toThrow(/^Unknown option `retry.maxDelay`; did you mean `retry.maxDelayMs`\? Expected one of `retry.initialDelayMs`, `retry.maxDelayMs`\.$/);
    expect(() => refuse({ sink: 'x' })).toThrow(/^Unknown option `sink`\. Expected one of `batchSize`, /);
    expect(() => refuse(null)).toThrow('Expected `options` to be an object, got null.');
    expect(() => refuse({ retry: 5 })).toThrow('Expected `retry` to be an object, got 5.');
    expect(() => refuse({ signal: {} })).toThrow('Expected `signal` to be an AbortSignal, got an object.');
    expect(() => refuse({ clock: {} })).toThrow('Expected `clock` to be an object with now(), setTimeout() and clearTimeout(), got an object.');
    for (const field of ['filter', 'onError', 'random']) expect(() => refuse({ [field]: 'x' })).toThrow(`Expected \`${field}\` to be a function, got "x".`);
  });

  it('a delay longer than a timer can hold (Node would fire it at once and a failing sink would be retried every 1 ms)', () => {
    for (const [options, field] of [[{ flushIntervalMs: 1e12 }, 'flushIntervalMs'], [{ retry: { initialDelayMs: Infinity } }, 'retry.initialDelayMs'], [{ retry: { maxDelayMs: 2 ** 31 } }, 'retry.maxDelayMs'], [{ flushIntervalMs: Number.NaN }, 'flushIntervalMs']] as const) {
      expect(() => refuse(options)).toThrow(`Expected \`${field}\` to be a number of ms from 0 to 2147483647, got `);
    }
    expect(() => refuse({ flushIntervalMs: 2 ** 31 - 1, retry: { initialDelayMs: 0, maxDelayMs: 2 ** 31 - 1 } })).not.toThrow();
  });

  it('a random that throws or draws outside [0, 1) falls back to Math.random: no unhandled rejection, no 1 ms retry loop', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
    for (const random of [() => { throw new Error('random broke'); }, () => Number.NaN, () => 7]) {
      const source = new FakeSource();
      const sink = new RecordingSink();
      sink.failNext = 2;
      const errors: PipeWriteError[] = [];
      const done = pipeTo(source, sink, { flushIntervalMs: 1, retry: { initialDelayMs: 5, maxDelayMs: 10 }, random, onError: (error) => void (error instanceof PipeWriteError && errors.push(error)) });
      source.push(1);
      source.close();
      expect(await done).toMatchObject({ written: 1, retried: 2 });
      for (const error of errors) expect(error.retryInMs).toBeGreaterThanOrEqual(0);
      for (const error of errors) expect(error.retryInMs).toBeLessThanOrEqual(10);
    }
    await sleep(10);
    expect(unhandled).toEqual([]);
  });
});

/** A sink that can never write the numbers in `poison`: it says so before writing anything of the batch. */
class PickySink extends RecordingSink {
  constructor(readonly poison: ReadonlySet<number>) {
    super();
  }
  override async write(batch: readonly number[]): Promise<void> {
    const unwritable = batch.flatMap((n, index) => (this.poison.has(n) ? [{ index, cause: new Error(`cannot encode ${n}`) }] : []));
    if (unwritable.length > 0) {
      this.attempts++;
      throw new UnwritableMessagesError(unwritable);
    }
    return super.write(batch);
  }
}

describe('pipeTo and messages a sink can never write', () => {
  it('leaves them out, reports each once with the message and never retries them; the rest of the batch and every batch behind it are written in order', async () => {
    const source = new FakeSource();
    const sink = new PickySink(new Set([2, 4, 5, 6])); // the second batch is left out whole
    sink.failNext = 1; // an I/O failure too: that one is retried
    const errors: Array<PipeWriteError | PipeRejectError<number>> = [];
    const done = pipeTo(source, sink, { batchSize: 3, flushIntervalMs: 1, retry: { initialDelayMs: 1 }, onError: (error) => errors.push(error) });
    source.push(...range(1, 8));
    source.close();
    const result = await done;
    expect(sink.written).toEqual([1, 3, 7, 8]);
    expect(result).toMatchObject({ received: 8, written: 4, rejected: 4, retried: 1, unwritten: 0 });
    const rejects = errors.filter((error) => error instanceof PipeRejectError);
    expect(rejects.map((error) => [error.code, error.rejectedMessage, (error.cause as Error).message])).toEqual([
      ['RS_SINK_REJECTED', 2, 'cannot encode 2'],
      ['RS_SINK_REJECTED', 4, 'cannot encode 4'],
      ['RS_SINK_REJECTED', 5, 'cannot encode 5'],
      ['RS_SINK_REJECTED', 6, 'cannot encode 6'],
    ]);
    expect(rejects[0]!.message).toBe('The sink cannot write a message, so it is left out (never retried): cannot encode 2.');
    expect(errors.filter((error) => error instanceof PipeWriteError)).toHaveLength(1);
  });

  it('an unwritable message at the head does not wedge the pipe: the stream is resumed and everything behind it is written (default drainTimeoutMs)', async () => {
    const file = join(tempDir(), 'poison.ndjson');
    const source = new FakeSource();
    const sink = ndjsonFileSink<unknown>(file);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    let reports = 0;
    const done = pipeTo(source, sink, { batchSize: 2, flushIntervalMs: 1, maxBufferedMessages: 4, retry: { initialDelayMs: 1, maxDelayMs: 5 }, onError: () => reports++ });
    source.emit('message', { n: 1 });
    source.emit('message', { big: 10n });
    source.emit('message', circular);
    source.emit('message', { n: 4 });
    expect(source.isPaused).toBe(true);
    for (let waited = 0; waited < 2_000 && source.isPaused; waited += 10) await sleep(10);
    // Before, the batch failed for ever: the stream stayed paused and nothing was written.
    expect(source.isPaused).toBe(false);
    for (let n = 5; n <= 9; n++) source.emit('message', { n });
    source.close();
    expect(await Promise.race([done, sleep(2_000).then(() => 'still pending')])).toMatchObject({ received: 9, written: 7, rejected: 2, retried: 0, unwritten: 0 });
    await sink.close();
    expect(readFileSync(file, 'utf8')).toBe([1, 4, 5, 6, 7, 8, 9].map((n) => `{"n":${n}}\n`).join(''));
    expect(reports).toBe(2);
  });

  it('the NDJSON sink names every message it cannot encode (a throw, a BigInt, no string, a line feed) and writes nothing of that batch', async () => {
    const file = join(tempDir(), 'names.ndjson');
    const sink = ndjsonFileSink<unknown>(file, { encode: (m) => (m === 'throws' ? (() => { throw new Error('encoder broke'); })() : m === 'lf' ? 'a\nb' : JSON.stringify(m)) });
    const error = await sink.write([1, 'throws', 2n, undefined, 'lf', 3]).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnwritableMessagesError);
    const unwritable = (error as UnwritableMessagesError).unwritable;
    expect(unwritable.map(({ index }) => index)).toEqual([1, 2, 3, 4]);
    expect(unwritable.map(({ cause }) => (cause as Error).message)).toEqual([
      'encoder broke',
      'Do not know how to serialize a BigInt',
      'Expected encode() to give a string, got undefined.',
      'Expected encode() to give a line without a line feed, got "a\\nb".',
    ]);
    expect((error as Error).message).toBe('4 of 6 message(s) of the batch cannot be written, so none of it was: #1 encoder broke; #2 Do not know how to serialize a BigInt; #3 Expected encode() to give a string, got undefined; and 1 more.');
    await sink.write([1, 3]);
    await sink.close();
    expect(readFileSync(file, 'utf8')).toBe('1\n3\n');
  });

  it('an error that names no message of the batch is an ordinary failure, retried with backoff (never a busy loop)', async () => {
    const source = new FakeSource();
    let calls = 0;
    const written: number[] = [];
    const sink: Sink<number> = {
      async write(batch) {
        if (calls++ < 2) throw Object.assign(new Error('odd'), { code: 'RS_SINK_UNWRITABLE', unwritable: [{ index: 7 }, { index: -1 }, null] });
        written.push(...batch);
      },
    };
    const done = pipeTo(source, sink, { flushIntervalMs: 1, retry: { initialDelayMs: 1 } });
    source.push(1, 2);
    source.close();
    expect(await done).toMatchObject({ written: 2, rejected: 0, retried: 2 });
    expect(written).toEqual([1, 2]);
  });
});

describe('the NDJSON file sink', () => {
  it('a path as the sink writes one JSON line per message and closes the file at the end', async () => {
    const file = join(tempDir(), 'out.ndjson');
    const source = new FakeSource();
    const done = pipeTo(source, file, { flushIntervalMs: 1 });
    source.push(1, 2, 3);
    source.close();
    expect(await done).toMatchObject({ written: 3 });
    expect(readFileSync(file, 'utf8')).toBe('1\n2\n3\n');
  });

  it('rotates by size into name.1, name.2 … keeping maxFiles, never splitting a batch', async () => {
    const dir = tempDir();
    const file = join(dir, 's.ndjson');
    const sink = ndjsonFileSink<{ n: number }>(file, { maxBytes: 20, maxFiles: 2 });
    for (let n = 1; n <= 5; n++) await sink.write([{ n }, { n: n * 10 }]); // each batch: 8 + 9..10 bytes
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual(['s.ndjson', 's.ndjson.1', 's.ndjson.2']);
    expect(readFileSync(file, 'utf8')).toBe('{"n":5}\n{"n":50}\n');
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('{"n":4}\n{"n":40}\n');
    expect(readFileSync(`${file}.2`, 'utf8')).toBe('{"n":3}\n{"n":30}\n');
    expect(sink.rotations).toBe(4);
    await expect(sink.write([{ n: 6 }])).rejects.toThrow('closed');
  });

  it('refuses a misspelt option (it would be ignored: no rotation), a null options object and wrong types, naming them', () => {
    const file = join(tempDir(), 'o.ndjson');
    const refuse = (options: unknown): unknown => ndjsonFileSink(file, options as never);
    expect(() => refuse({ maxbytes: 5 })).toThrow(new TypeError('Unknown option `maxbytes`; did you mean `maxBytes`? Expected one of `maxBytes`, `maxFiles`, `encode`, `fsync`.'));
    expect(() => refuse({ rotate: true })).toThrow(new TypeError('Unknown option `rotate`. Expected one of `maxBytes`, `maxFiles`, `encode`, `fsync`.'));
    expect(() => refuse(null)).toThrow(new TypeError('Expected `options` to be an object, got null.'));
    expect(() => refuse({ encode: 5 })).toThrow(new TypeError('Expected `encode` to be a function, got 5.'));
    expect(() => refuse({ fsync: 'yes' })).toThrow(new TypeError('Expected `fsync` to be a boolean, got "yes".'));
    expect(() => refuse({ maxBytes: 1.5 })).toThrow(new TypeError('Expected `maxBytes` to be false or an integer > 0, got 1.5.'));
    expect(() => ndjsonFileSink(5 as never)).toThrow(new TypeError('Expected `path` to be a non-empty string, got 5.'));
  });

  it('appends to an existing file and counts its size toward maxBytes', async () => {
    const file = join(tempDir(), 'a.ndjson');
    const first = ndjsonFileSink<number>(file, { maxBytes: 6 });
    await first.write([1, 2]);
    await first.close();
    const second = ndjsonFileSink<number>(file, { maxBytes: 6 });
    await second.write([3]);
    await second.write([4, 5]);
    await second.close();
    expect(readFileSync(file, 'utf8')).toBe('4\n5\n');
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('1\n2\n3\n');
  });
});
