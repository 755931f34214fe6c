/** One price level as venues write it: `[price, quantity]`, both decimal strings (defined in resilient-stream/venues). */
import type { PriceLevel } from '../venues/types.js';
export type { PriceLevel };

/**
 * A full order book at one update id, sides sorted best first (bids high to low, asks low to
 * high). This is both the shape of the Binance REST snapshot and of `feed.book(symbol)`.
 */
export interface BookSnapshot {
  /** The id of the last update applied to this book. */
  lastUpdateId: number;
  /** Bids, highest price first. */
  bids: PriceLevel[];
  /** Asks, lowest price first. */
  asks: PriceLevel[];
}

/** Which side of the book a change touches. */
export type BookSide = 'bids' | 'asks';

/**
 * A real, mutable order book keyed by price string. Quantities are absolute and `"0"` removes a
 * level, exactly the rule a Binance client applies, so the server's book is the truth a client's
 * local copy must converge to.
 */
export class OrderBook {
  #bids = new Map<string, string>();
  #asks = new Map<string, string>();
  #lastUpdateId: number;

  /** @param lastUpdateId - The update id the empty book starts at. */
  constructor(lastUpdateId: number) {
    this.#lastUpdateId = lastUpdateId;
  }

  /** The id of the last update applied. */
  get lastUpdateId(): number {
    return this.#lastUpdateId;
  }

  /** Whether a level exists at this price on this side. */
  has(side: BookSide, price: string): boolean {
    return this.#side(side).has(price);
  }

  /**
   * Sets one level: a quantity of `"0"` (or any zero decimal) removes it.
   * Does not move `lastUpdateId`; callers advance it with {@link OrderBook.advance}.
   */
  set(side: BookSide, price: string, quantity: string): void {
    const levels = this.#side(side);
    if (Number(quantity) === 0) levels.delete(price);
    else levels.set(price, quantity);
  }

  /** Moves the book to a newer update id; refuses to go backwards. */
  advance(toUpdateId: number): void {
    if (toUpdateId < this.#lastUpdateId) {
      throw new RangeError(`Expected an update id >= ${this.#lastUpdateId}, got ${toUpdateId}.`);
    }
    this.#lastUpdateId = toUpdateId;
  }

  /**
   * Returns a copy sorted best first.
   *
   * @param limit - Levels per side to keep (Binance's REST `limit`); all when omitted.
   */
  snapshot(limit = Infinity): BookSnapshot {
    return {
      lastUpdateId: this.#lastUpdateId,
      bids: sortLevels(this.#bids, 'desc').slice(0, limit),
      asks: sortLevels(this.#asks, 'asc').slice(0, limit),
    };
  }

  #side(side: BookSide): Map<string, string> {
    return side === 'bids' ? this.#bids : this.#asks;
  }
}

function sortLevels(levels: Map<string, string>, order: 'asc' | 'desc'): PriceLevel[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...levels]
    .map(([price, quantity]): PriceLevel => [price, quantity])
    .sort((a, b) => sign * (Number(a[0]) - Number(b[0])));
}
