import { LocalBook } from './local-book.js';
import type { BookUpdate, PriceLevel, WireUpdate } from './types.js';
import { isBookUpdate, problemOf, type UpdateRules } from './update-check.js';

/** Why a book had to be rebuilt. */
export type BreakReason = 'gap' | 'checksum' | 'connection' | 'invalid';

/** What the keeper concluded about one update. */
export type Verdict = 'applied' | 'skipped' | BreakReason;

/** One symbol's book and where it stands in the venue's numbering. */
export class SymbolBook {
  readonly book = new LocalBook();
  /** The id the book is at (`u`, `seqId`, `lastUpdateId`); undefined for venues without ids. */
  sequence: number | undefined;
  /** When the book last changed, in ms since the epoch. */
  updatedAt: number | undefined;
  /** False from a break (or a lost socket) until the next snapshot. */
  consistent = false;
  /** Why the last update was refused (after an `invalid` verdict). */
  problem: string | undefined;
  /** True right after a snapshot: the first delta may overlap it (Binance `U <= lastUpdateId + 1`). */
  #fresh = false;
  readonly #rules: UpdateRules;

  constructor(
    readonly symbol: string,
    readonly depth: number | undefined,
    readonly checksum: ((bids: readonly PriceLevel[], asks: readonly PriceLevel[]) => number) | undefined,
    numbered = false,
  ) {
    this.#rules = { numbered, checksummed: checksum !== undefined };
  }

  /**
   * Applies one update by the venue's rules: a malformed update is refused whole (`invalid`, see
   * update-check.ts) before anything changes; a snapshot replaces the book; a delta must follow the
   * book (by `previous` when the venue chains ids, else by `first <= sequence + 1`), a repeat is
   * skipped, and after applying, a venue checksum must match. A delta to an inconsistent book is skipped unread.
   */
  apply(update: WireUpdate, now: number): Verdict {
    if (update.kind === 'delta' && !this.consistent) return 'skipped';
    if (!isBookUpdate(update, this.#rules)) {
      this.problem = problemOf(update, this.#rules);
      return this.#break('invalid');
    }
    if (update.kind === 'snapshot') {
      this.book.reset(update.bids, update.asks);
      this.sequence = update.last;
      this.#fresh = true;
      return this.#finish(update, now);
    }
    const { sequence } = this;
    if (sequence !== undefined && update.last !== undefined) {
      // By identity when the venue chains ids, except the first delta after a REST snapshot,
      // which only has to straddle it (Binance futures: U <= lastUpdateId + 1 <= u).
      const chained = update.previous !== undefined && !(this.#fresh && update.first !== undefined);
      if (this.#isRepeat(update, sequence, chained)) return 'skipped';
      const follows = chained ? update.previous === sequence : (update.first ?? update.last) <= sequence + 1;
      if (!follows) return this.#break('gap');
    }
    this.book.apply(update.bids, update.asks);
    if (update.last !== undefined) this.sequence = update.last;
    this.#fresh = false;
    return this.#finish(update, now);
  }

  /** Marks the book inconsistent until its next snapshot (a lost socket, a connection-wide gap). */
  invalidate(): void {
    this.consistent = false;
  }

  #isRepeat(update: BookUpdate, sequence: number, chained: boolean): boolean {
    // Chained ids may go backwards after a venue reset, so only "the same id again" is a repeat.
    if (chained) return update.last === sequence && update.previous !== sequence;
    return update.last! <= sequence;
  }

  #finish(update: BookUpdate, now: number): Verdict {
    if (this.depth !== undefined) this.book.truncate(this.depth);
    this.updatedAt = now;
    if (this.checksum !== undefined && update.checksum !== undefined) {
      const ours = this.checksum(this.book.bids(10), this.book.asks(10));
      if (ours !== update.checksum) return this.#break('checksum');
    }
    this.consistent = true;
    return 'applied';
  }

  #break(reason: BreakReason): Verdict {
    this.consistent = false;
    return reason;
  }
}
