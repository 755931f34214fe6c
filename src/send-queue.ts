/**
 * The outbound queue for messages sent while the socket is not open: bounded (the oldest gives
 * way) and expiring (a stale order or subscription is worse than none).
 *
 * Pure: time arrives as a `now` argument in ms; no timers.
 */

/** Limits of the send queue. */
export interface SendQueuePolicy {
  /** Most messages held; pushing one more drops the oldest. Integer >= 0 (0 queues nothing). */
  readonly maxMessages: number;
  /** A message older than this (`now - enqueuedAt > maxAgeMs`) is dropped instead of sent, in ms. */
  readonly maxAgeMs: number;
}

/** Past this many consumed slots the backing arrays are compacted (amortised O(1) removal). */
const COMPACT_AFTER = 1024;

/**
 * Bounded, expiring FIFO for messages sent while the socket is not open.
 * `push` is O(1) amortised; `drain` and `prune` are O(size).
 */
export class SendQueue<T> {
  readonly #maxMessages: number;
  readonly #maxAgeMs: number;
  // Parallel arrays with a head index: no wrapper object per message.
  #items: (T | undefined)[] = [];
  #enqueuedAt: number[] = [];
  #head = 0;
  #dropped = 0;

  /** @param policy - limits; a RangeError names any field that is out of range. */
  constructor(policy: SendQueuePolicy) {
    if (!Number.isSafeInteger(policy.maxMessages) || policy.maxMessages < 0) {
      throw new RangeError(`Expected \`maxMessages\` to be an integer >= 0, got ${String(policy.maxMessages)}.`);
    }
    if (!(policy.maxAgeMs >= 0)) {
      throw new RangeError(`Expected \`maxAgeMs\` to be a number >= 0, got ${String(policy.maxAgeMs)}.`);
    }
    this.#maxMessages = policy.maxMessages;
    this.#maxAgeMs = policy.maxAgeMs;
  }

  /** Messages currently queued (expired ones included until a drain or prune). */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Messages dropped by overflow or expiry since construction. {@link clear} does not count. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Enqueues `item` at `now` (ms). When the queue is full the oldest message is dropped to make
   * room (with `maxMessages` 0, `item` itself is). Returns how many this call dropped: 0 or 1.
   */
  push(item: T, now: number): number {
    if (this.#maxMessages === 0) {
      this.#dropped++;
      return 1;
    }
    let droppedNow = 0;
    if (this.size >= this.#maxMessages) {
      this.#removeHead();
      this.#dropped++;
      droppedNow = 1;
    }
    this.#items.push(item);
    this.#enqueuedAt.push(now);
    return droppedNow;
  }

  /**
   * Removes every message and returns the unexpired ones in the order they were pushed.
   * Expired ones (`now - enqueuedAt > maxAgeMs`) are counted in {@link dropped}.
   */
  drain(now: number): T[] {
    const fresh: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      if (this.#isExpired(i, now)) this.#dropped++;
      else fresh.push(this.#items[i] as T);
    }
    this.#reset();
    return fresh;
  }

  /** Drops expired messages, keeping the order of the rest; returns how many were dropped. */
  prune(now: number): number {
    const items = this.#items;
    const times = this.#enqueuedAt;
    let kept = 0;
    // Compact in place instead of only trimming the head: a clock that stepped backwards can
    // leave an expired message behind a fresher one.
    for (let i = this.#head; i < items.length; i++) {
      if (this.#isExpired(i, now)) continue;
      items[kept] = items[i];
      times[kept] = times[i]!;
      kept++;
    }
    const removed = items.length - this.#head - kept;
    items.length = kept;
    times.length = kept;
    this.#head = 0;
    this.#dropped += removed;
    return removed;
  }

  /** Empties the queue; returns how many messages were discarded. These are not counted as dropped. */
  clear(): number {
    const discarded = this.size;
    this.#reset();
    return discarded;
  }

  #isExpired(index: number, now: number): boolean {
    return now - this.#enqueuedAt[index]! > this.#maxAgeMs;
  }

  #removeHead(): void {
    // Release the reference now so a dropped message can be collected before compaction.
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#enqueuedAt = this.#enqueuedAt.slice(this.#head);
      this.#head = 0;
    }
  }

  #reset(): void {
    this.#items = [];
    this.#enqueuedAt = [];
    this.#head = 0;
  }
}
