import { OrderBook, type BookSide, type BookSnapshot, type PriceLevel } from './order-book.js';
import { hashString, randomInt, type Random } from './random.js';

/** Levels each side may occupy, counted in ticks away from the mid price. */
const LEVEL_RANGE = 40;
/** Levels each side holds when the book is created. */
const INITIAL_LEVELS = 20;
/** Updates applied before the first event is streamed, so the genesis book is truly old. */
const WARM_UP_UPDATES = 10;
/** Where update ids and trade ids start: a client always joins a stream mid-way. */
const FIRST_ID = 1_000_000;

// The wire types live in resilient-stream/venues; the simulation builds exactly those.
export type { DepthUpdateEvent, TradeEvent } from '../venues/binance.js';
import type { DepthUpdateEvent, TradeEvent } from '../venues/binance.js';

/**
 * Everything the simulated exchange knows about one symbol: a real order book that each depth
 * event mutates, the book as it was before anything was streamed (for stale snapshots) and the
 * trade id counter.
 */
export class SymbolMarket {
  readonly symbol: string;
  readonly #random: Random;
  readonly #book = new OrderBook(FIRST_ID);
  readonly #genesis: BookSnapshot;
  readonly #midCents: number;
  #tradeId = FIRST_ID;

  /** @param symbol - Upper-case symbol as it appears in `s`, e.g. `BTCUSDT`. */
  constructor(symbol: string, random: Random) {
    this.symbol = symbol;
    this.#random = random;
    // Each symbol gets its own price (100.00 .. 999.00) so books of two symbols never look alike.
    this.#midCents = (100 + (hashString(symbol) % 900)) * 100;
    for (let level = 1; level <= INITIAL_LEVELS; level += 1) {
      this.#book.set('bids', this.#price('bids', level), this.#quantity());
      this.#book.set('asks', this.#price('asks', level), this.#quantity());
    }
    this.#genesis = this.#book.snapshot();
    for (let i = 0; i < WARM_UP_UPDATES; i += 1) this.nextDepth(0);
  }

  /** The live book, sorted best first. */
  book(limit?: number): BookSnapshot {
    return this.#book.snapshot(limit);
  }

  /** The book as it was before the first streamed update: older than any event ever sent. */
  staleBook(limit = Infinity): BookSnapshot {
    const { lastUpdateId, bids, asks } = this.#genesis;
    return { lastUpdateId, bids: bids.slice(0, limit), asks: asks.slice(0, limit) };
  }

  /** The last trade id handed out. */
  get lastTradeId(): number {
    return this.#tradeId;
  }

  /** Creates the next trade; `override` fields win except the identity fields `e`, `s`, `t`. */
  nextTrade(now: number, override: Partial<TradeEvent> = {}): TradeEvent {
    this.#tradeId += 1;
    const tradeTime = now - randomInt(this.#random, 0, 3);
    const price = formatCents(this.#midCents + randomInt(this.#random, -5, 5));
    const event: TradeEvent = {
      e: 'trade', E: now, s: this.symbol, t: this.#tradeId, p: price, q: this.#quantity(),
      T: tradeTime, m: this.#random() < 0.5, M: true,
    };
    // Object.assign keeps Binance's key order for the fields that already exist.
    return Object.assign(event, override, { e: 'trade', s: this.symbol, t: this.#tradeId });
  }

  /**
   * Creates the next diff depth event and applies it to the book. Without `b`/`a` in the
   * override it makes 1 to 3 random changes, one update id each; with them, it applies exactly
   * those levels as one update id.
   */
  nextDepth(now: number, override: Partial<DepthUpdateEvent> = {}): DepthUpdateEvent {
    const changes = override.b || override.a ? fromOverride(override) : this.#randomChanges();
    const first = this.#book.lastUpdateId + 1;
    const last = first + (override.b || override.a ? 0 : changes.length - 1);
    const b = new Map<string, string>();
    const a = new Map<string, string>();
    for (const [side, price, quantity] of changes) {
      this.#book.set(side, price, quantity);
      // Later changes to the same price supersede earlier ones: quantities are absolute.
      (side === 'bids' ? b : a).set(price, quantity);
    }
    this.#book.advance(last);
    const event: DepthUpdateEvent = {
      e: 'depthUpdate', E: now, s: this.symbol, U: first, u: last, b: [...b], a: [...a],
    };
    const { e, s, U, u } = event;
    // The ids and levels must match the book, so the override cannot replace them.
    return Object.assign(event, override, { e, s, U, u, b: event.b, a: event.a });
  }

  #randomChanges(): Array<[BookSide, string, string]> {
    const count = randomInt(this.#random, 1, 3);
    const changes: Array<[BookSide, string, string]> = [];
    for (let i = 0; i < count; i += 1) {
      const side: BookSide = this.#random() < 0.5 ? 'bids' : 'asks';
      const price = this.#price(side, randomInt(this.#random, 1, LEVEL_RANGE));
      // Remove about a third of the levels we touch, so the book breathes instead of only growing.
      const remove = this.#book.has(side, price) && this.#random() < 0.35;
      changes.push([side, price, remove ? '0.00000000' : this.#quantity()]);
    }
    return changes;
  }

  #price(side: BookSide, level: number): string {
    return formatCents(this.#midCents + (side === 'bids' ? -level : level));
  }

  #quantity(): string {
    return (randomInt(this.#random, 1, 10_000) / 1000).toFixed(8);
  }
}

function fromOverride(override: Partial<DepthUpdateEvent>): Array<[BookSide, string, string]> {
  const bids = (override.b ?? []).map(([p, q]) => toChange('bids', p, q));
  const asks = (override.a ?? []).map(([p, q]) => toChange('asks', p, q));
  return [...bids, ...asks];
}

/** Writes a level the way the book stores it, so `"100.5"` and `"100.50000000"` are one level. */
function toChange(side: BookSide, price: unknown, quantity: unknown): [BookSide, string, string] {
  const p = Number(price);
  const q = Number(quantity);
  if (!(p > 0) || !(q >= 0)) {
    throw new TypeError(
      `Expected a depth level [price > 0, quantity >= 0] as decimal strings, got [${String(price)}, ${String(quantity)}].`,
    );
  }
  return [side, p.toFixed(8), q.toFixed(8)];
}

function formatCents(cents: number): string {
  return (cents / 100).toFixed(8);
}
