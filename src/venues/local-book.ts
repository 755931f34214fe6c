import { canonicalDecimal, compareTrusted, isZeroPlain } from './decimal.js';
import type { PriceLevel } from './types.js';

/**
 * One symbol's book: levels keyed by canonical price so `"100.5"` and `"100.50"` are one level,
 * with the venue's own strings kept for output. Quantities are absolute; a zero removes the level.
 * Levels are plain decimal strings: the book keeper checks every update before it gets here.
 * Sorted views are cached until the next change. Pure: no timers, no I/O.
 */
export class LocalBook {
  readonly #bids = new Map<string, PriceLevel>();
  readonly #asks = new Map<string, PriceLevel>();
  #sortedBids: PriceLevel[] | undefined;
  #sortedAsks: PriceLevel[] | undefined;

  /** Replaces everything with a snapshot. */
  reset(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): void {
    this.#bids.clear();
    this.#asks.clear();
    this.apply(bids, asks);
  }

  /** Applies absolute levels; a zero quantity removes its level. */
  apply(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): void {
    for (const level of bids) setLevel(this.#bids, level);
    for (const level of asks) setLevel(this.#asks, level);
    if (bids.length > 0) this.#sortedBids = undefined;
    if (asks.length > 0) this.#sortedAsks = undefined;
  }

  /** Keeps the best `depth` levels a side (Kraken: levels pushed out of scope are never deleted on the wire). */
  truncate(depth: number): void {
    if (this.#bids.size > depth) trim(this.#bids, this.bids().slice(depth));
    if (this.#asks.size > depth) trim(this.#asks, this.asks().slice(depth));
    this.#sortedBids = this.#sortedAsks = undefined;
  }

  /** Bids, highest first; the best `n` when given. */
  bids(n?: number): PriceLevel[] {
    this.#sortedBids ??= sorted(this.#bids, -1);
    return n === undefined ? this.#sortedBids.slice() : this.#sortedBids.slice(0, n);
  }

  /** Asks, lowest first; the best `n` when given. */
  asks(n?: number): PriceLevel[] {
    this.#sortedAsks ??= sorted(this.#asks, 1);
    return n === undefined ? this.#sortedAsks.slice() : this.#sortedAsks.slice(0, n);
  }
}

function setLevel(side: Map<string, PriceLevel>, [price, quantity]: PriceLevel): void {
  const key = canonicalDecimal(price);
  if (isZeroPlain(quantity)) side.delete(key);
  else side.set(key, [price, quantity]);
}

function trim(side: Map<string, PriceLevel>, dropped: readonly PriceLevel[]): void {
  for (const [price] of dropped) side.delete(canonicalDecimal(price));
}

function sorted(side: Map<string, PriceLevel>, direction: 1 | -1): PriceLevel[] {
  return [...side.values()].sort((a, b) => direction * compareTrusted(a[0], b[0]));
}
