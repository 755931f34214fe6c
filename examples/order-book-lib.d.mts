// Types of examples/order-book-lib.mjs, so TypeScript tests can import the example's own code.
import type { ResilientStreamOptions } from '../src/index.js';

/** `[price, quantity]` as decimal strings. */
export type PriceLevel = [price: string, quantity: string];

/** An order book at one update id (the REST snapshot's shape). */
export interface BookSnapshot {
  lastUpdateId: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

/** What arrives on the socket: depth events, acks and anything else the feed sends. */
export type BookMessage = Record<string, unknown>;

/** What the stream sends: Binance SUBSCRIBE / UNSUBSCRIBE requests. */
export interface BinanceRequest {
  method: 'SUBSCRIBE' | 'UNSUBSCRIBE';
  params: string[];
  id: number;
}

/** A local order book: a snapshot plus the diff events after it, with continuity checks. */
export declare class LocalOrderBook {
  /** Continuity problems seen (events that did not follow the book's update id). */
  violations: string[];
  /** Snapshots applied, stale ones included. */
  snapshots: number;
  /** Diff events applied. */
  updates: number;
  /** The update id the book is at, or undefined before the first snapshot. */
  get lastUpdateId(): number | undefined;
  /** Replaces the whole book with a REST snapshot. */
  applySnapshot(snapshot: BookSnapshot): void;
  /** Applies a diff depth event; returns false for anything else. */
  apply(message: unknown): boolean;
  /** The book sorted best first, like the REST snapshot. */
  snapshot(): BookSnapshot;
}

/** Settings of {@link orderBookOptions}. */
export interface OrderBookSettings {
  /** WebSocket base URL; `/ws` is appended. */
  wsUrl: string;
  /** HTTP base URL of `/api/v3/depth`. */
  restUrl: string;
  /** Symbol, e.g. `BTCUSDT`. */
  symbol: string;
  book: LocalOrderBook;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Snapshot levels per side. @default 1000 */
  depthLimit?: number;
}

/** Stream options that keep `book` exact: snapshot in `resync`, `[U, u]` as the sequence. */
export declare function orderBookOptions(settings: OrderBookSettings): ResilientStreamOptions<BookMessage, BinanceRequest>;
