/**
 * Sequence bookkeeping for feeds that number their messages: gap and duplicate detection per key,
 * the check that an extractor's answer is a usable sequence, and the replay plan that decides which held messages a snapshot makes redundant (the Binance local-book procedure, which
 * other exchanges' sequence schemes reduce to).
 *
 * Pure: no timers, no I/O. Sequence numbers are safe integers (see {@link toRange}).
 */

/** A message's sequence range, `[first, last]`. */
export type SequenceRange = readonly [first: number, last: number];

/**
 * Reads a `sequence` extractor's answer: a safe integer n is `[n, n]`, a pair of safe integers
 * with `first <= last` is itself, `undefined` is "no sequence". Anything else (a numeric string,
 * NaN, a float, a reversed pair) returns `'invalid'`: the caller reports it and delivers the
 * message untracked, because guessing could drop it as a duplicate.
 */
export function toRange(value: unknown): SequenceRange | undefined | 'invalid' {
  if (value === undefined) return undefined;
  if (Number.isSafeInteger(value)) return [value as number, value as number];
  return isRange(value) ? value : 'invalid';
}

function isRange(value: unknown): value is SequenceRange {
  return Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && Number.isSafeInteger(value[1]) && value[0] <= value[1];
}

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
  /** L per key, in a box so an accepted message updates it in place (one map lookup per message). */
  readonly #last = new Map<string, { last: number }>();
  #gaps = 0;
  #duplicates = 0;
  #lastGapExpected = Number.NaN;

  /** Classifies the message `[first, last]` on `key` and updates L (see the class note). */
  check(key: string, first: number, last: number): SequenceVerdict {
    const entry = this.#last.get(key);
    if (entry === undefined) {
      this.#last.set(key, { last });
      return 'first';
    }
    const previous = entry.last;
    if (last <= previous) {
      this.#duplicates++;
      return 'duplicate';
    }
    entry.last = last;
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
    return this.#last.get(key)?.last;
  }

  /** Sets L for `key` outright, e.g. to a snapshot's sequence after a resync. */
  set(key: string, last: number): void {
    const entry = this.#last.get(key);
    if (entry === undefined) this.#last.set(key, { last });
    else entry.last = last;
  }

  /** Forgets `key`: its next message is `'first'` again. */
  delete(key: string): void {
    this.#last.delete(key);
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

/** What to do with held messages after a snapshot; see {@link planReplay}. */
export interface ReplayPlan {
  /** False when the snapshot is too old for the held messages: resync again. */
  readonly ok: boolean;
  /** How many held messages, from the front, the snapshot already covers. */
  readonly drop: number;
}

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

/** Which fetched messages fill a hole; see {@link planBackfill}. */
export interface BackfillPlan {
  /** Indices into the fetched list, in delivery order. */
  readonly order: readonly number[];
  /** How many of the numbers strictly between `after` and `before` the chosen messages cover. */
  readonly covered: number;
  /** The numbers between `after` and `before` nothing covers: `before - after - 1 - covered`. */
  readonly missing: number;
  /** The `last` of the final chosen message, or `after` when none was chosen. */
  readonly last: number;
}

/**
 * Merges what a backfill fetched into the hole `(after, before)`: the messages are taken in order
 * of `first` (then `last`); one without a range, one with `last <= ` the previous chosen `last`
 * (a repeat, or from before the hole) and one with `first >= before` (the held messages already
 * have it) is left out. Holes between the chosen ones are counted in `missing`, never guessed.
 *
 * Example: after 10, before 15, fetched [13, 11, 12, 11, 20] → order of 11, 12, 13; covered 3,
 * missing 1 (number 14).
 */
export function planBackfill(ranges: ReadonlyArray<SequenceRange | undefined>, after: number, before: number): BackfillPlan {
  const indices: number[] = [];
  for (let i = 0; i < ranges.length; i++) if (ranges[i] !== undefined) indices.push(i);
  indices.sort((a, b) => ranges[a]![0] - ranges[b]![0] || ranges[a]![1] - ranges[b]![1] || a - b);
  const order: number[] = [];
  let cursor = after;
  let covered = 0;
  for (const index of indices) {
    const [first, last] = ranges[index]!;
    if (last <= cursor || first >= before) continue;
    order.push(index);
    covered += Math.min(last, before - 1) - Math.max(first, cursor + 1) + 1;
    cursor = last;
  }
  return { order, covered, missing: Math.max(0, before - after - 1 - covered), last: cursor };
}
