import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { pipeTo, type PipeWriteError, type Sink } from '../../src/node/index.js';
import { sleep } from '../helpers/events.js';
import { jsonOptions, openFeed, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

useCleanup();

// A real full collection lets the test measure live heap, not garbage awaiting collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TOTAL = 100_000;
const MAX_BUFFERED = 2_000;
/** ~1 KB per message: 100 000 of them held at once would take well over 100 MB of heap. */
const PAYLOAD = { blob: 'x'.repeat(1_000) };

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

describe('pipeTo with a real stream and a slow, flaky sink', () => {
  it('100 000 messages: each written once, in order; the stream paused and resumed; the heap stays bounded', async () => {
    const feed = await openFeed({ historyLimit: 100 });
    const stream = new ResilientStream<FeedMessage, unknown>(jsonOptions(feed, { topics: ['a'], sequence: (m) => m.seq }));
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
      onError: (error) => failures.push(error),
    });
    stream.start();
    await feed.waitForConnections(1);
    while (!feed.subscriptions().includes('a')) await sleep(5);

    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let pausedSeen = false;
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      pausedSeen ||= stream.isPaused && stream.health().paused;
    }, 200);

    // The feed produces about 40 000 messages a second; the sink takes about 17 000.
    for (let published = 0; published < TOTAL; ) {
      for (let i = 0; i < 400 && published < TOTAL; i++, published++) feed.publish('a', PAYLOAD);
      await sleep(10);
    }
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
