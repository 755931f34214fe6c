import { afterEach, describe, expect, it } from 'vitest';
import { LocalOrderBook, orderBookOptions } from '../../examples/order-book-lib.mjs';
import { ResilientStream, type ResilientStreamError, type ResyncedEvent } from '../../src/index.js';
import { createFeedServer, type FeedServer } from '../../src/testing/index.js';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { mulberry32 } from '../helpers/random.js';

const SYMBOL = 'BTCUSDT';
const TOPIC = 'btcusdt@depth';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openFeed(): Promise<FeedServer> {
  // The snapshot is read when the request arrives and answered 20 ms later, while the stream
  // moves on: exactly the race the Binance procedure exists for.
  const feed = await createFeedServer({ dialect: 'binance', messagesPerSecond: 0, snapshotDelayMs: 20 });
  cleanups.push(() => feed.close());
  return feed;
}

/** Publishes a depth event every `everyMs` until the returned stop() is called. */
function publishDepth(feed: FeedServer, everyMs: number): () => void {
  const timer = setInterval(() => feed.publish(TOPIC), everyMs);
  const stop = (): void => clearInterval(timer);
  cleanups.push(stop);
  return stop;
}

function openBook(feed: FeedServer) {
  const book = new LocalOrderBook();
  const stream = new ResilientStream({
    ...orderBookOptions({ wsUrl: feed.url, restUrl: feed.httpUrl, symbol: SYMBOL, book }),
    backoff: { initialDelayMs: 10, maxDelayMs: 50 },
    staleAfterMs: false,
    heartbeat: false,
  });
  stream.on('message', (message) => book.apply(message));
  const errors: ResilientStreamError[] = [];
  const resynced: ResyncedEvent[] = [];
  stream.on('error', (error) => errors.push(error));
  stream.on('resynced', (event) => resynced.push(event));
  cleanups.push(() => stream.close());
  return { book, stream, errors, resynced };
}

/** Waits until the local book has caught up with the server's (nothing is being published). */
async function caughtUp(feed: FeedServer, book: LocalOrderBook, stream: { readonly state: string }): Promise<void> {
  const target = feed.book(SYMBOL).lastUpdateId;
  for (let i = 0; i < 500; i++) {
    if (stream.state === 'open' && book.lastUpdateId === target) return;
    await sleep(10);
  }
  throw new Error(`Expected the local book at ${target} and the stream open, got ${book.lastUpdateId} (${stream.state}).`);
}

describe('the order-book example against the Binance dialect', () => {
  it('builds the exact server book from a snapshot and diff events', async () => {
    const feed = await openFeed();
    const { book, stream, errors, resynced } = openBook(feed);
    const stop = publishDepth(feed, 5);
    stream.start();
    await waitForEvent(stream, 'resynced');
    await sleep(300);
    stop();
    await caughtUp(feed, book, stream);
    expect(book.snapshot()).toEqual(feed.book(SYMBOL));
    expect(book.updates).toBeGreaterThan(20);
    expect(book.violations).toEqual([]);
    expect(resynced.map((event) => event.reason)).toEqual(['connect']);
    expect(errors).toEqual([]);
  });

  it('fetches the snapshot again when it is older than the held events', async () => {
    const feed = await openFeed();
    const { book, stream, resynced } = openBook(feed);
    const stop = publishDepth(feed, 5);
    stream.start();
    await waitForEvent(stream, 'resynced');
    await sleep(50);
    feed.faults.staleSnapshot();
    feed.faults.gap(3, TOPIC);
    const event = await waitForEvent(stream, 'resynced', (e) => e.reason === 'gap');
    expect(event.attempts).toBeGreaterThanOrEqual(2);
    stop();
    await caughtUp(feed, book, stream);
    expect(book.snapshot()).toEqual(feed.book(SYMBOL));
    expect(book.violations).toEqual([]);
    expect(resynced).toHaveLength(2);
  });

  for (const seed of [1, 2, 3]) {
    it(`stays exact through a random run of gaps, duplicates, drops and stale snapshots (seed ${seed})`, async () => {
      const random = mulberry32(seed);
      const feed = await openFeed();
      const { book, stream, errors, resynced } = openBook(feed);
      const stop = publishDepth(feed, 4);
      stream.start();
      await waitForEvent(stream, 'resynced');
      const faults: Array<[string, () => void]> = [
        ['gap', () => feed.faults.gap(1 + Math.floor(random() * 5), TOPIC)],
        ['duplicate', () => void feed.faults.duplicate(TOPIC)],
        ['drop', () => feed.faults.drop()],
        ['stale snapshot', () => feed.faults.staleSnapshot()],
        ['close 1011', () => feed.faults.closeAll(1011, 'internal error')],
      ];
      const injected: string[] = [];
      for (let i = 0; i < 12; i++) {
        await sleep(20 + Math.floor(random() * 60));
        const [name, inject] = faults[Math.floor(random() * faults.length)]!;
        injected.push(name);
        inject();
      }
      await waitForState(stream, 'open');
      await sleep(100);
      stop();
      await caughtUp(feed, book, stream);
      expect(book.snapshot(), `after ${injected.join(', ')}`).toEqual(feed.book(SYMBOL));
      expect(book.violations).toEqual([]);
      expect(resynced.length).toBeGreaterThan(1);
      // Only the faults we injected show up as errors: no decode, listener or resync trouble.
      expect(errors.filter((error) => error.code !== 'RS_CONNECT_FAILED')).toEqual([]);
    });
  }
});
