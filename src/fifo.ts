/** Past this many consumed slots the backing array is compacted (amortised O(1) shift). */
const COMPACT_AFTER = 1024;

/**
 * The one first-in, first-out queue of the library: an array with a head index, so `shift()` is
 * O(1) amortised and consumed slots are released at once. Used by the send queue, the resync
 * hold-back buffer and the async iterators. Unbounded: callers enforce their own limits.
 *
 * Pure: no timers, no I/O.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Items queued. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item` at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    // Release the reference now so the item can be collected before compaction.
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** A copy of the items, oldest first. */
  toArray(): T[] {
    return this.#items.slice(this.#head) as T[];
  }

  /** Removes every item and returns them, oldest first. */
  drain(): T[] {
    const items = this.toArray();
    this.clear();
    return items;
  }

  /** Forgets every item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
