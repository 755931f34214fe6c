/**
 * Sequence bookkeeping for feeds that number their messages: gap and duplicate detection per key,
 * the bounded hold-back buffer used while a resync fetches a snapshot, and the replay plan that
 * decides which held messages a snapshot makes redundant (the Binance local-book procedure, which
 * other exchanges' sequence schemes reduce to).
 *
 * Pure: no timers, no I/O. Sequence numbers are expected to be safe integers.
 */

/** What {@link SequenceTracker.check} concluded about one message. */
export type SequenceVerdict = 'first' | 'in-order' | 'gap' | 'duplicate';

/**
 * Tracks the last sequence number L per key (use `''` when the feed has no topics).
 *
 * A message covers `[first, last]` (a single number n is `[n, n]`; Binance depth updates are
 * `[U, u]`). Against the stored L it is:
 * - `first`: the key has no L yet; accepted, L = last.
 * - `duplicate`: `last <= L`; nothing new in it, L unchanged.
 * - `gap`: `first > L + 1`; messages were lost. L = last, and {@link lastGapExpected} = old L + 1.
 * - `in-order`: otherwise, i.e. `first <= L + 1 <= last`; overlap such as `[L - 2, L + 3]` is
 *   in order. L = last.
 *
 * `check` is O(1) and allocates nothing for a key it has seen before.
 */
export class SequenceTracker {
  readonly #last = new Map<string, number>();
  #gaps = 0;
  #duplicates = 0;
  #lastGapExpected = Number.NaN;

  /** Classifies the message `[first, last]` on `key` and updates L (see the class note). */
  check(key: string, first: number, last: number): SequenceVerdict {
    const previous = this.#last.get(key);
    if (previous === undefined) {
      this.#last.set(key, last);
      return 'first';
    }
    if (last <= previous) {
      this.#duplicates++;
      return 'duplicate';
    }
    this.#last.set(key, last);
    if (first > previous + 1) {
      this.#gaps++;
      this.#lastGapExpected = previous + 1;
      return 'gap';
    }
    return 'in-order';
  }

  /** The number the most recent `'gap'` expected (its key's old L + 1); NaN before any gap. */
  get lastGapExpected(): number {
    return this.#lastGapExpected;
  }

  /** The last accepted sequence number on `key`, or undefined when none was seen (or it was deleted). */
  last(key: string): number | undefined {
    return this.#last.get(key);
  }

  /** Sets L for `key` outright, e.g. to a snapshot's sequence after a resync. */
  set(key: string, last: number): void {
    this.#last.set(key, last);
  }

  /** Forgets `key`: its next message is `'first'` again. */
  delete(key: string): void {
    this.#last.delete(key);
  }

  /** Forgets every key. The {@link gaps} and {@link duplicates} totals are kept. */
  clear(): void {
    this.#last.clear();
  }

  /** Gaps seen since construction, over all keys. */
  get gaps(): number {
    return this.#gaps;
  }

  /** Duplicates seen since construction, over all keys. */
  get duplicates(): number {
    return this.#duplicates;
  }
}

/** Past this many consumed slots the backing array is compacted (amortised O(1) shift). */
const COMPACT_AFTER = 1024;

/**
 * Bounded FIFO for messages held back while a resync is in flight. {@link push} refuses (returns
 * false) when full; the caller must treat that as an overflow error, never as silent loss.
 */
export class HoldBackBuffer<T> {
  readonly #capacity: number;
  #items: (T | undefined)[] = [];
  #head = 0;

  /** @param capacity - most items held at once; an integer >= 0, else RangeError. */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(`Expected \`capacity\` to be an integer >= 0, got ${String(capacity)}.`);
    }
    this.#capacity = capacity;
  }

  /** The most items the buffer holds. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Items currently held. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item`; returns false, holding nothing new, when the buffer is full. */
  push(item: T): boolean {
    if (this.size >= this.#capacity) return false;
    this.#items.push(item);
    return true;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.#items[this.#head];
    // Release the reference so a held message can be collected before compaction.
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** The oldest item without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.#items[this.#head];
  }

  /** The item `index` places from the oldest (0 = oldest), or undefined out of range. No allocation. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.size ? this.#items[this.#head + index] : undefined;
  }

  /** Empties the buffer. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  /** A copy of the held items, oldest first. */
  toArray(): T[] {
    return this.#items.slice(this.#head) as T[];
  }
}

/** What to do with held messages after a snapshot; see {@link planReplay}. */
export interface ReplayPlan {
  /** False when the snapshot is too old for the held messages: resync again. */
  readonly ok: boolean;
  /** How many held messages, from the front, the snapshot already covers. */
  readonly drop: number;
}

/** A message's sequence range, `[first, last]`. */
export type SequenceRange = readonly [first: number, last: number];

/**
 * Decides what to do with messages held during a resync, given the snapshot's sequence S:
 * leading messages with `last <= S` are dropped (the snapshot already contains them); the first
 * remaining one must satisfy `first <= S + 1 <= last`, otherwise the snapshot is too old (or a
 * message between it and the held ones is missing) and `ok` is false. With nothing remaining the
 * plan is ok: live messages continue from S + 1. Later held messages are not checked here; replay
 * them through {@link SequenceTracker.check} after setting L = S.
 *
 * Binance: snapshot `lastUpdateId` 1027024 means the first applied event needs
 * `U <= 1027025 <= u`.
 *
 * Pass `rangeOf` to read ranges from held messages of any shape, e.g. `buffer.toArray()`.
 */
export function planReplay(held: ReadonlyArray<SequenceRange>, snapshot: number): ReplayPlan;
export function planReplay<T>(held: ReadonlyArray<T>, snapshot: number, rangeOf: (item: T) => SequenceRange): ReplayPlan;
export function planReplay<T>(
  held: ReadonlyArray<T>,
  snapshot: number,
  rangeOf: (item: T) => SequenceRange = (item) => item as SequenceRange,
): ReplayPlan {
  let drop = 0;
  for (const item of held) {
    const [first, last] = rangeOf(item);
    if (last <= snapshot) {
      drop++;
      continue;
    }
    return { ok: first <= snapshot + 1, drop };
  }
  return { ok: true, drop };
}
