import { OrderBook, type BookSide, type BookSnapshot, type PriceLevel } from '../order-book.js';
import { hashString, randomInt, type Random } from '../random.js';

/** How a venue writes numbers and numbers its updates. */
export interface MarketStyle {
  /** Text of a price in cents, e.g. `(c) => (c / 100).toFixed(2)`. */
  readonly price: (cents: number) => string;
  /** Text of a quantity in thousandths. */
  readonly quantity: (milli: number) => string;
  /** How far the update id moves per update (1 for counters, more for OKX-style ids). @default 1 */
  readonly step?: (random: Random) => number;
}

/** Levels each side may occupy, in ticks from the mid price (kept small so changes reach the top 10). */
const LEVEL_RANGE = 16;
const INITIAL_LEVELS = 12;
const FIRST_ID = 1000;

/** One delta: the changed levels (absolute quantities, zero removes) and the ids around it. */
export interface MarketChange {
  readonly previous: number;
  readonly id: number;
  readonly bids: PriceLevel[];
  readonly asks: PriceLevel[];
}

/**
 * A simulated venue's symbol: a real book mutated by random changes, an update id, a trade id and
 * the genesis book for stale snapshots. Each dialect only formats what this produces.
 */
export class VenueMarket {
  readonly symbol: string;
  readonly #random: Random;
  readonly #style: MarketStyle;
  readonly #book = new OrderBook(FIRST_ID);
  readonly #genesis: BookSnapshot;
  readonly #midCents: number;
  #tradeId = FIRST_ID;

  constructor(symbol: string, random: Random, style: MarketStyle) {
    this.symbol = symbol;
    this.#random = random;
    this.#style = style;
    this.#midCents = (100 + (hashString(symbol) % 900)) * 100;
    for (let level = 1; level <= INITIAL_LEVELS; level++) {
      this.#book.set('bids', this.#price('bids', level), this.#quantity());
      this.#book.set('asks', this.#price('asks', level), this.#quantity());
    }
    this.#genesis = this.#book.snapshot();
    for (let i = 0; i < 5; i++) this.change();
  }

  /** The update id of the live book. */
  get sequence(): number {
    return this.#book.lastUpdateId;
  }

  /** The live book, best first, `limit` levels a side. */
  snapshot(limit?: number): BookSnapshot {
    return this.#book.snapshot(limit);
  }

  /** The book before anything was streamed: older than every update a client can see. */
  stale(limit = Infinity): BookSnapshot {
    const { lastUpdateId, bids, asks } = this.#genesis;
    return { lastUpdateId, bids: bids.slice(0, limit), asks: asks.slice(0, limit) };
  }

  /** Applies 1 to 3 random level changes as one update and returns it. */
  change(): MarketChange {
    const previous = this.#book.lastUpdateId;
    const bids = new Map<string, string>();
    const asks = new Map<string, string>();
    for (let i = randomInt(this.#random, 1, 3); i > 0; i--) {
      const side: BookSide = this.#random() < 0.5 ? 'bids' : 'asks';
      const price = this.#price(side, randomInt(this.#random, 1, LEVEL_RANGE));
      const remove = this.#book.has(side, price) && this.#random() < 0.35;
      const quantity = remove ? this.#style.quantity(0) : this.#quantity();
      this.#book.set(side, price, quantity);
      (side === 'bids' ? bids : asks).set(price, quantity);
    }
    const id = previous + (this.#style.step?.(this.#random) ?? 1);
    this.#book.advance(id);
    return { previous, id, bids: [...bids], asks: [...asks] };
  }

  /** The next trade near the mid price. */
  trade(): { id: number; price: string; quantity: string; buy: boolean } {
    this.#tradeId++;
    const price = this.#style.price(this.#midCents + randomInt(this.#random, -5, 5));
    return { id: this.#tradeId, price, quantity: this.#quantity(), buy: this.#random() < 0.5 };
  }

  /** The last trade id handed out. */
  get lastTradeId(): number {
    return this.#tradeId;
  }

  #price(side: BookSide, level: number): string {
    return this.#style.price(this.#midCents + (side === 'bids' ? -level : level));
  }

  #quantity(): string {
    return this.#style.quantity(randomInt(this.#random, 1, 10_000));
  }
}

/** Markets by symbol, created on first use. */
export class Markets {
  readonly #markets = new Map<string, VenueMarket>();
  constructor(readonly random: Random, readonly style: MarketStyle) {}

  get(symbol: string): VenueMarket {
    let market = this.#markets.get(symbol);
    if (market === undefined) {
      market = new VenueMarket(symbol, this.random, this.style);
      this.#markets.set(symbol, market);
    }
    return market;
  }
}

/** A topic split into channel and symbol at the first `sep`, or a TypeError naming the expected form. */
export function splitTopic(topic: unknown, pattern: RegExp, form: string): { channel: string; symbol: string } {
  const match = typeof topic === 'string' ? pattern.exec(topic) : null;
  if (match === null) throw new TypeError(`Expected a topic like ${form}, got ${JSON.stringify(topic)}.`);
  return { channel: match[1]!, symbol: match[2]! };
}

/** Whether a value is a non-empty array of non-empty strings. */
export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item.length > 0);
}
