import type { ResilientStreamOptions } from '../options.js';
import type { VenueError, VenueName } from './venue-error.js';

/** One price level as the venue wrote it: `[price, quantity]`, both decimal strings, never floats. */
export type PriceLevel = [price: string, quantity: string];

/** The smallest `fetch` the REST snapshot needs: the global one, undici's, or a test double. */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}>;

/**
 * What a preset call accepts on top of any stream option: `url` (the WebSocket endpoint),
 * `restUrl` (the REST base for snapshots) and `fetch`, so every preset runs against a local server.
 */
export type VenueOverrides<In, Out> = Omit<Partial<ResilientStreamOptions<In, Out>>, 'url'> & {
  /** The WebSocket endpoint. @default the venue's public endpoint */
  readonly url?: string | URL;
  /** The REST base URL of the snapshot route (Binance). @default the venue's */
  readonly restUrl?: string;
  /** The fetch used for REST snapshots. @default globalThis.fetch */
  readonly fetch?: FetchLike;
};

/** Book options: overrides plus the book's own settings. */
export type BookOverrides<In, Out> = VenueOverrides<In, Out> & {
  /** Levels per side asked of the venue (Kraken depth, Binance REST `limit`). @default the venue's (see docs/venues) */
  readonly depth?: number;
};

/**
 * One update as a venue's `read()` found it on the wire, before any check: every field is whatever
 * the frame held. The order book applies it only once it is a whole {@link BookUpdate} (plain decimal
 * strings, integer ids); otherwise it refuses all of it and rebuilds that book.
 */
export interface WireUpdate {
  /** The symbol the frame names; anything else than a string is refused for every book. */
  readonly symbol: unknown;
  readonly kind: 'snapshot' | 'delta';
  readonly bids: unknown;
  readonly asks: unknown;
  readonly first?: unknown;
  readonly last?: unknown;
  readonly previous?: unknown;
  readonly checksum?: unknown;
}

/** One change the book helper applies: a snapshot (replaces the book) or a delta, checked whole. */
export interface BookUpdate extends WireUpdate {
  readonly symbol: string;
  readonly kind: 'snapshot' | 'delta';
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
  /** The first update id the message covers (Binance `U`), when the venue numbers updates. */
  readonly first?: number;
  /** The id the book is at after this message (`u`, `seqId`, `lastUpdateId`). */
  readonly last?: number;
  /** The id the venue says came right before (`pu`, `prevSeqId`, Bybit `u - 1`): a chain check by identity. */
  readonly previous?: number;
  /** The venue's checksum of the book after this message (Kraken). */
  readonly checksum?: number;
}

/** How a venue's books are kept: snapshots over REST in the resync hook, or snapshots over the WebSocket. */
export type SnapshotSource = 'rest' | 'websocket';

/**
 * What {@link watchOrderBook} needs besides the stream options: how to read book messages, where
 * snapshots come from and how to check integrity. Built by `venue.book()`; not meant to be written by hand.
 */
export interface BookFeed<In> {
  readonly venue: VenueName;
  readonly symbols: readonly string[];
  readonly snapshots: SnapshotSource;
  /** Levels per side the book keeps; deeper levels are dropped after every update (Kraken). */
  readonly depth: number | undefined;
  /** Whether every update carries integer ids (`last`, and `first`/`previous` where sent); one without is refused. @default false */
  readonly numbered?: boolean;
  /** The book topic of a symbol (what is resubscribed when only that book must be rebuilt). */
  topicOf(symbol: string): string;
  /** The book changes in a message, unchecked; empty for anything else. Never throws on a malformed frame. */
  read(message: In): readonly WireUpdate[];
  /** The venue's error in a message, if it is an error frame. */
  errorOf(message: In): VenueError | undefined;
  /** The venue's checksum of the top of a book (Kraken), compared with `BookUpdate.checksum`. */
  checksum?(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): number;
  /** A per-connection counter over every message (Coinbase `sequence_num`); `undefined` for other messages. */
  connectionSequence?(message: In): number | undefined;
  /** REST venues: where the resync hook hands the snapshots it fetched. Set by watchOrderBook. */
  onSnapshot: ((update: WireUpdate) => void) | undefined;
  /** REST venues: where the resync hook reports a refused snapshot (an unknown symbol). Set by watchOrderBook. */
  onError?: ((error: VenueError) => void) | undefined;
}

/**
 * The key of the book feed inside a book spec. A symbol, so the spec stays a valid options object
 * for `new ResilientStream()` (which rejects unknown option names) and survives `{ ...spec }`.
 */
export const BOOK_FEED: unique symbol = Symbol.for('resilient-stream.venues.bookFeed');

/** `venue.book()`'s result: stream options to pass to `new ResilientStream()` or {@link watchOrderBook}, plus the book's feed. */
export type BookSpec<In, Out> = ResilientStreamOptions<In, Out> & { readonly [BOOK_FEED]: BookFeed<In> };

/** What every venue preset offers. */
export interface Venue<In, Out> {
  readonly name: VenueName;
  /** The public WebSocket endpoint. */
  readonly url: string;
  /** Trade streams of one or more symbols in the venue's notation. */
  trades(symbols: string | readonly string[], overrides?: VenueOverrides<In, Out>): ResilientStreamOptions<In, Out>;
  /** Order books of one or more symbols on one connection, for {@link watchOrderBook}. */
  book(symbols: string | readonly string[], overrides?: BookOverrides<In, Out>): BookSpec<In, Out>;
  /** The venue's error in a message (a refused subscription, an unknown symbol), or undefined. */
  errorOf(message: In): VenueError | undefined;
}
