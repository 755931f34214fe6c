/**
 * Turns a venue's chained ids (`prevSeqId`/`seqId`, Bybit's `u`) into the gapless counting numbers
 * the stream's sequence tracker understands, per key, and lets a snapshot start a chain over even
 * when its id goes backwards (Bybit sends `u = 1` after a service restart, OKX may reset `seqId`).
 *
 * - a snapshot always gets the next number: it replaces the book whatever its id (a repeated
 *   snapshot resets the book to the same state, which is harmless);
 * - a delta whose previous id is the last id gets the next number (in order);
 * - a delta repeating the last id gets the same number (a duplicate, dropped);
 * - anything else skips a number, so the stream reports a gap.
 *
 * Pure, but stateful: each preset call makes its own counter, so give every stream its own options.
 */
export class ChainCounter {
  readonly #keys = new Map<string, { count: number; id: number }>();

  /** A snapshot with id `id` on `key`. */
  snapshot(key: string, id: number): number {
    const state = this.#keys.get(key);
    if (state === undefined) {
      this.#keys.set(key, { count: 1, id });
      return 1;
    }
    state.count += 1;
    state.id = id;
    return state.count;
  }

  /** A delta with id `id` that says its predecessor was `previous`. */
  link(key: string, previous: number, id: number): number {
    const state = this.#keys.get(key);
    if (state === undefined) {
      // A delta before any snapshot: count it, so a snapshot after it is still "next".
      this.#keys.set(key, { count: 1, id });
      return 1;
    }
    if (id === state.id) return state.count;
    state.count += previous === state.id ? 1 : 2;
    state.id = id;
    return state.count;
  }
}
