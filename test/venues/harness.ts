import type { BookSpec } from '../../src/venues/types.js';
import type { OrderBookHandle } from '../../src/venues/watch-order-book.js';
import { binance, binanceFutures, bybit, coinbase, kraken, okx, watchOrderBook } from '../../src/venues/index.js';
import { createFeedServer, type FeedServer } from '../../src/testing/index.js';
import type { FeedDialect } from '../../src/testing/dialect.js';
import { sleep } from '../helpers/events.js';

/** One venue as the tests drive it: its dialect, its preset and the server topic of each book. */
export interface VenueCase {
  readonly dialect: FeedDialect;
  readonly symbols: readonly string[];
  /** The WebSocket path on the local server (the venue's own path). */
  readonly path: string;
  /** The server-side topic that publishes a symbol's book changes. */
  readonly bookTopic: (symbol: string) => string;
  readonly spec: (url: string, restUrl: string) => BookSpec<any, any>;
  readonly hasChecksum?: boolean;
  readonly hasRestSnapshot?: boolean;
}

export const CASES: readonly VenueCase[] = [
  {
    dialect: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'], path: '/ws', hasRestSnapshot: true,
    bookTopic: (s) => `${s.toLowerCase()}@depth`,
    spec: (url, restUrl) => binance.book(['BTCUSDT', 'ETHUSDT'], { url, restUrl }),
  },
  {
    dialect: 'binance-futures', symbols: ['BTCUSDT', 'ETHUSDT'], path: '/ws', hasRestSnapshot: true,
    bookTopic: (s) => `${s.toLowerCase()}@depth@100ms`,
    spec: (url, restUrl) => binanceFutures.book(['BTCUSDT', 'ETHUSDT'], { url, restUrl }),
  },
  {
    dialect: 'bybit', symbols: ['BTCUSDT', 'ETHUSDT'], path: '/v5/public/spot',
    bookTopic: (s) => `orderbook.50.${s}`,
    spec: (url) => bybit.book(['BTCUSDT', 'ETHUSDT'], { url }),
  },
  {
    dialect: 'okx', symbols: ['BTC-USDT', 'ETH-USDT'], path: '/ws/v5/public',
    bookTopic: (s) => `books:${s}`,
    spec: (url) => okx.book(['BTC-USDT', 'ETH-USDT'], { url }),
  },
  {
    dialect: 'kraken', symbols: ['BTC/USD', 'ETH/USD'], path: '/v2', hasChecksum: true,
    bookTopic: (s) => `book:${s}`,
    spec: (url) => kraken.book(['BTC/USD', 'ETH/USD'], { url }),
  },
  {
    dialect: 'coinbase', symbols: ['BTC-USD', 'ETH-USD'], path: '/',
    bookTopic: (s) => `level2:${s}`,
    spec: (url) => coinbase.book(['BTC-USD', 'ETH-USD'], { url }),
  },
];

/** Things to close after each test, newest first. */
export const cleanups: Array<() => Promise<unknown> | void> = [];

export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!();
}

/** A local feed server in the venue's dialect; nothing is published unless the test publishes. */
export async function openFeed(venue: VenueCase, seed: number): Promise<FeedServer> {
  const feed = await createFeedServer({ dialect: venue.dialect, messagesPerSecond: 0, seed, snapshotDelayMs: venue.hasRestSnapshot ? 15 : 0 });
  cleanups.push(() => feed.close());
  return feed;
}

/** Watches the venue's books on the local server with small timings so faults are noticed quickly. */
export function openBook(venue: VenueCase, feed: FeedServer): OrderBookHandle<any, any> {
  const spec = venue.spec(`${feed.url}${venue.path}`, feed.httpUrl);
  const heartbeat = typeof spec.heartbeat === 'object' ? spec.heartbeat : {};
  const handle = watchOrderBook({
    ...spec,
    heartbeat: { ...heartbeat, intervalMs: 150, timeoutMs: 150 },
    backoff: { initialDelayMs: 10, maxDelayMs: 50 },
    storm: false,
    staleAfterMs: 1_000,
  });
  handle.stream.on('error', () => undefined);
  handle.on('error', () => undefined);
  cleanups.push(() => handle.close());
  return handle;
}

/** Publishes a book change of every symbol every `everyMs` until stopped. */
export function publishBooks(venue: VenueCase, feed: FeedServer, everyMs: number): () => void {
  const timer = setInterval(() => {
    for (const symbol of venue.symbols) feed.publish(venue.bookTopic(symbol));
  }, everyMs);
  const stop = (): void => clearInterval(timer);
  cleanups.push(stop);
  return stop;
}

/** Resolves once every watched book is consistent and equal, level by level, to the server's. */
export async function converged(venue: VenueCase, feed: FeedServer, handle: OrderBookHandle<any, any>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let detail = '';
  while (Date.now() < deadline) {
    detail = '';
    for (const symbol of venue.symbols) {
      const ours = handle.book(symbol);
      const theirs = feed.book(symbol);
      const same = JSON.stringify([ours.bids(), ours.asks()]) === JSON.stringify([theirs.bids, theirs.asks]);
      if (!ours.consistent || !same) detail += `${symbol}: consistent=${ours.consistent}, equal=${same}; `;
    }
    if (detail === '' && handle.stream.state === 'open') return;
    await sleep(20);
  }
  throw new Error(`Expected every ${venue.dialect} book to equal the server's within ${timeoutMs} ms: ${detail} stream ${handle.stream.state}.`);
}
