import { describe, ResilientStreamError } from '../errors.js';
import { ResilientStream } from '../resilient-stream.js';
import { bool, knownKeys } from '../validate.js';
import { SafeEmitter, type Emitter } from '../safe-emitter.js';
import { SymbolBook, type BreakReason } from './book-keeper.js';
import { isObject } from './preset.js';
import { BOOK_FEED, type BookFeed, type BookSpec, type PriceLevel, type WireUpdate } from './types.js';
import { INVALID_BOOK_UPDATE, VenueError } from './venue-error.js';

/** Payload of the handle's `update` event: a book changed (snapshot or delta) and is consistent. */
export interface BookUpdateEvent {
  readonly symbol: string;
  readonly kind: 'snapshot' | 'delta';
  readonly sequence: number | undefined;
  readonly updatedAt: number;
}

/** Payload of the handle's `rebuild` event: one book broke and is being rebuilt alone. */
export interface BookRebuildEvent {
  readonly symbol: string;
  /**
   * `gap`: a broken chain; `checksum`: the venue's checksum disagreed; `connection`: a connection-wide
   * counter jumped (Coinbase); `invalid`: an update was malformed and refused whole (an `error` with code `RS_INVALID_BOOK_UPDATE` says what was wrong).
   */
  readonly reason: BreakReason;
}

/** Events of an order-book handle. */
export interface OrderBookEvents {
  update: (event: BookUpdateEvent) => void;
  rebuild: (event: BookRebuildEvent) => void;
  /** A venue error frame (a refused subscription, an unknown symbol), or a book update refused whole (code `RS_INVALID_BOOK_UPDATE`, with `symbol`). */
  error: (error: VenueError) => void;
}

/** A read-only view of one symbol's book. */
export interface BookView {
  readonly symbol: string;
  /** Whether the book is consistent now (false between a break or a lost socket and the next snapshot). */
  readonly consistent: boolean;
  /** The venue's id the book is at (`u`, `seqId`, `lastUpdateId`), undefined where the venue has none (Kraken). */
  readonly sequence: number | undefined;
  /** When the book last changed, in ms since the epoch. */
  readonly updatedAt: number | undefined;
  /** Bids, best (highest) first, as `[price, quantity]` strings; the best `n` when given. */
  bids(n?: number): PriceLevel[];
  /** Asks, best (lowest) first; the best `n` when given. */
  asks(n?: number): PriceLevel[];
}

/** What {@link watchOrderBook} returns. The single-symbol accessors read the first symbol. */
export interface OrderBookHandle<In, Out> extends BookView, Emitter<OrderBookEvents> {
  /** Resolves once every watched book has been consistent once; rejects if the handle closes first. */
  readonly ready: Promise<void>;
  /** The symbols watched, in the venue's notation. */
  readonly symbols: readonly string[];
  /** The underlying stream (events, health(), close()). */
  readonly stream: ResilientStream<In, Out>;
  /** One symbol's book. @throws TypeError for a symbol not watched. */
  book(symbol: string): BookView;
  /** Closes the stream; `ready` rejects if it had not resolved. */
  close(): Promise<void>;
}

/** Options of {@link watchOrderBook}. */
export interface WatchOptions {
  /** Start the stream at once. @default true */
  readonly start?: boolean;
}

/**
 * Keeps exact local order books for one or more symbols of a venue on one connection.
 *
 * REST venues (Binance): the stream's resync hook fetches each snapshot while events are held and
 * replays what follows it. WebSocket venues (Bybit, OKX, Kraken, Coinbase): each snapshot message
 * replaces its book. A broken chain or a checksum mismatch rebuilds only the affected book: on
 * WebSocket venues by unsubscribing and subscribing that symbol again (the venue answers with a
 * fresh snapshot); on REST venues the stream's own gap detection resyncs that topic.
 *
 * @example
 * ```ts
 * const book = watchOrderBook(bybit.book('BTCUSDT'));
 * await book.ready;
 * console.log(book.bids(5), book.asks(5));
 * ```
 */
export function watchOrderBook<In, Out>(spec: BookSpec<In, Out>, options: WatchOptions = {}): OrderBookHandle<In, Out> {
  checkWatch(spec, options);
  const { [BOOK_FEED]: feed, ...streamOptions } = spec;
  const stream = new ResilientStream<In, Out>(streamOptions);
  const handle = new Watcher(feed, stream);
  if (options.start !== false) stream.start();
  return handle;
}

/** @throws ResilientStreamError RS_INVALID_OPTIONS for a spec not made by `venue.book()` or bad options. */
function checkWatch(spec: unknown, options: unknown): void {
  if (!isObject(spec) || !isObject(Reflect.get(spec, BOOK_FEED))) {
    throw new ResilientStreamError('RS_INVALID_OPTIONS', 'Expected a book spec from `venue.book()` (it carries the book feed), got one without it.');
  }
  if (!isObject(options)) throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected the watchOrderBook options to be an object, got ${describe(options)}.`);
  knownKeys(options, ['start']);
  bool('start', options.start, true);
}

class Watcher<In, Out> extends SafeEmitter<OrderBookEvents> implements OrderBookHandle<In, Out> {
  readonly stream: ResilientStream<In, Out>;
  readonly ready: Promise<void>;
  readonly #feed: BookFeed<In>;
  readonly #books = new Map<string, SymbolBook>();
  readonly #first: SymbolBook;
  #settle: { resolve(): void; reject(error: Error): void } | undefined;
  #connectionSequence: number | undefined;

  constructor(feed: BookFeed<In>, stream: ResilientStream<In, Out>) {
    super();
    this.#feed = feed;
    this.stream = stream;
    for (const symbol of feed.symbols) this.#books.set(symbol, new SymbolBook(symbol, feed.depth, feed.checksum?.bind(feed), feed.numbered));
    this.#first = this.#books.get(feed.symbols[0]!)!;
    this.ready = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    // The caller may never await `ready`; a rejection nobody handles must not crash the host.
    this.ready.catch(() => undefined);
    feed.onSnapshot = (update) => this.#apply(update, update);
    feed.onError = (error) => this.emitSafe('error', error);
    stream.on('message', (message) => this.#onMessage(message));
    stream.on('close', () => this.#invalidateAll());
    stream.on('open', () => (this.#connectionSequence = undefined));
  }

  get symbols(): readonly string[] { return this.#feed.symbols; }
  get symbol(): string { return this.#first.symbol; }
  get consistent(): boolean { return this.#first.consistent; }
  get sequence(): number | undefined { return this.#first.sequence; }
  get updatedAt(): number | undefined { return this.#first.updatedAt; }
  bids(n?: number): PriceLevel[] { return this.#first.book.bids(n); }
  asks(n?: number): PriceLevel[] { return this.#first.book.asks(n); }

  book(symbol: string): BookView {
    const book = this.#books.get(symbol);
    if (book === undefined) throw new TypeError(`Expected one of the watched symbols (${this.symbols.join(', ')}), got ${JSON.stringify(symbol)}.`);
    return {
      symbol,
      get consistent() { return book.consistent; },
      get sequence() { return book.sequence; },
      get updatedAt() { return book.updatedAt; },
      bids: (n) => book.book.bids(n),
      asks: (n) => book.book.asks(n),
    };
  }

  async close(): Promise<void> {
    this.#settle?.reject(new Error('Expected the order book to become consistent before close(), but close() came first.'));
    this.#settle = undefined;
    this.#feed.onSnapshot = undefined;
    this.#feed.onError = undefined;
    await this.stream.close();
  }

  #onMessage(message: In): void {
    const error = this.#feed.errorOf(message);
    if (error !== undefined) {
      this.emitSafe('error', error);
      return;
    }
    if (this.#isConnectionGap(message)) {
      for (const book of this.#books.values()) this.#rebuild(book, 'connection');
      return;
    }
    for (const update of this.#feed.read(message)) this.#apply(update, message);
  }

  /** Coinbase numbers every message of a connection: a jump means something, somewhere, was lost. */
  #isConnectionGap(message: In): boolean {
    const sequence = this.#feed.connectionSequence?.(message);
    if (sequence === undefined) return false;
    const last = this.#connectionSequence;
    if (last !== undefined && sequence <= last) return false;
    this.#connectionSequence = sequence;
    return last !== undefined && sequence > last + 1;
  }

  #apply(update: WireUpdate, frame: unknown): void {
    if (typeof update.symbol !== 'string') return this.#refuseUnnamed(update, frame);
    const book = this.#books.get(update.symbol);
    if (book === undefined) return;
    const verdict = book.apply(update, Date.now());
    if (verdict === 'skipped') return;
    if (verdict === 'invalid') return this.#refuse(book, frame);
    if (verdict !== 'applied') return this.#rebuild(book, verdict);
    if (this.#settle !== undefined && [...this.#books.values()].every((b) => b.consistent)) {
      this.#settle.resolve();
      this.#settle = undefined;
    }
    this.emitSafe('update', { symbol: book.symbol, kind: update.kind, sequence: book.sequence, updatedAt: book.updatedAt! });
  }

  /** Rebuilds one book: resubscribe its topic (WebSocket snapshots) or reconnect (REST venues, where the stream's own gap detection missed it). */
  #rebuild(book: SymbolBook, reason: BreakReason): void {
    book.invalidate();
    this.emitSafe('rebuild', { symbol: book.symbol, reason });
    if (this.#feed.snapshots === 'rest') {
      this.stream.reconnect(`order book ${book.symbol}: ${reason}`);
      return;
    }
    const topic = this.#feed.topicOf(book.symbol);
    this.stream.unsubscribe(topic);
    this.stream.subscribe(topic);
  }

  /** A malformed update: nothing of it was applied; rebuild the book, then say what was wrong. */
  #refuse(book: SymbolBook, frame: unknown): void {
    this.#rebuild(book, 'invalid');
    this.emitSafe('error', new VenueError(this.#feed.venue, book.problem ?? 'malformed', frame, INVALID_BOOK_UPDATE, book.symbol));
  }

  /** A book frame that names no symbol may have been meant for any book: rebuild them all. */
  #refuseUnnamed(update: WireUpdate, frame: unknown): void {
    for (const book of this.#books.values()) this.#rebuild(book, 'invalid');
    const text = `the update names no symbol (got ${typeof update.symbol})`;
    this.emitSafe('error', new VenueError(this.#feed.venue, text, frame, INVALID_BOOK_UPDATE));
  }

  #invalidateAll(): void {
    for (const book of this.#books.values()) book.invalidate();
  }
}
