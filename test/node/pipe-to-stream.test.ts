import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { pipeTo, type PipeWriteError, type Sink } from '../../src/node/index.js';
import { sleep } from '../helpers/events.js';
import { type FeedMessage } from '../helpers/fixtures.js';
import { bundle } from './bundle.js';

// A real full collection lets the test measure live heap, not garbage awaiting collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TOTAL = 100_000;
const MAX_BUFFERED = 2_000;

/** Slower than the feed, and failing every 7th write (before writing anything). */
class SlowFlakySink implements Sink<FeedMessage> {
  readonly seqs: number[] = [];
  writes = 0;
  async write(batch: readonly FeedMessage[]): Promise<void> {
    await sleep(25);
    if (++this.writes % 7 === 0) throw new Error(`flaky write ${this.writes}`);
    for (const message of batch) this.seqs.push(message.seq!);
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** The feed server in a child process (its send queue must not count toward this heap). */
async function startProducer(total: number, perSecond: number): Promise<string> {
  const script = await bundle(join(import.meta.dirname, 'fixtures', 'feed-producer.ts'), 'feed-producer');
  const child = spawn(process.execPath, [script, String(total), String(perSecond)], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the producer exited with code ${code}`)));
  });
}

describe('pipeTo with a real stream and a slow, flaky sink', () => {
  it('100 000 messages: each written once, in order; the stream paused and resumed; the heap stays bounded', async () => {
    // About 40 000 messages of 1 KB a second; the sink takes about 17 000. Held all at once they
    // would take well over 100 MB of heap.
    const url = await startProducer(TOTAL, 40_000);
    const stream = new ResilientStream<FeedMessage, unknown>({
      url,
      topics: ['a'],
      subscribe: ({ topics }) => ({ op: 'subscribe', topics }),
      isData: (m) => m.seq !== undefined,
      sequence: (m) => m.seq,
      staleAfterMs: false,
      heartbeat: false,
    });
    cleanups.push(() => stream.close());
    const streamErrors: Error[] = [];
    stream.on('error', (error) => streamErrors.push(error));
    const calls: string[] = [];
    const pause = stream.pause.bind(stream);
    const resume = stream.resume.bind(stream);
    stream.pause = () => (calls.push('pause'), pause());
    stream.resume = () => (calls.push('resume'), resume());
    const sink = new SlowFlakySink();
    const failures: PipeWriteError[] = [];
    const piped = pipeTo(stream, sink, {
      batchSize: 500,
      flushIntervalMs: 20,
      maxBufferedMessages: MAX_BUFFERED,
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
      filter: (m) => m.seq !== undefined,
      onError: (error) => void (error.code === 'RS_SINK_WRITE' && failures.push(error)),
    });
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let pausedSeen = false;
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      pausedSeen ||= stream.isPaused && stream.health().paused;
    }, 200);
    stream.start();
    const deadline = Date.now() + 60_000;
    while (sink.seqs.length < TOTAL && Date.now() < deadline) await sleep(50);
    clearInterval(sampler);
    await stream.close();
    const result = await piped;

    expect(streamErrors).toEqual([]);
    expect(sink.seqs).toHaveLength(TOTAL);
    expect(sink.seqs.every((seq, i) => seq === i + 1)).toBe(true);
    expect(result).toMatchObject({ received: TOTAL, written: TOTAL, unwritten: 0 });
    expect(result.retried).toBe(failures.length);
    expect(result.retried).toBeGreaterThan(10);
    // Paused when full, resumed when drained, again and again.
    expect(result.pauses).toBeGreaterThan(2);
    expect(calls.filter((call) => call === 'pause')).toHaveLength(result.pauses);
    expect(calls.slice(0, 4)).toEqual(['pause', 'resume', 'pause', 'resume']);
    expect(pausedSeen).toBe(true);
    expect(stream.isPaused).toBe(false);
    // The bound: what the pipe held never went far past maxBufferedMessages (frames already read
    // when the pause took effect are kept, never dropped), and the live heap stayed small.
    expect(result.maxBuffered).toBeLessThanOrEqual(MAX_BUFFERED + 500);
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  }, 90_000);
});
