import { Fifo } from './fifo.js';

/**
 * The outbound queue for frames sent while the socket is not open: bounded (the oldest gives
 * way) and expiring (a stale order or subscription is worse than none). Frames are encoded when
 * `send()` is called, so a message that cannot be encoded is refused at once, never at flush.
 *
 * Pure: time arrives as a `now` argument in ms; no timers.
 */

/** Limits of the send queue. */
export interface SendQueuePolicy {
  /** Most frames held; pushing one more drops the oldest. Integer >= 0 (0 queues nothing). */
  readonly maxMessages: number;
  /** A frame older than this (`now - enqueuedAt > maxAgeMs`) is dropped instead of sent, in ms. */
  readonly maxAgeMs: number;
}

interface Entry<T> {
  readonly item: T;
  readonly at: number;
}

/** Bounded, expiring FIFO. `push` is O(1) amortised; `drain` is O(size). */
export class SendQueue<T> {
  readonly #maxMessages: number;
  readonly #maxAgeMs: number;
  readonly #fifo = new Fifo<Entry<T>>();
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

  /** Frames currently queued (expired ones included until a drain). */
  get size(): number {
    return this.#fifo.size;
  }

  /** Frames dropped by overflow or expiry since construction. {@link clear} does not count. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Enqueues `item` at `now` (ms). When the queue is full the oldest frame is dropped to make
   * room (with `maxMessages` 0, `item` itself is). Returns how many this call dropped: 0 or 1.
   */
  push(item: T, now: number): number {
    if (this.#maxMessages === 0) {
      this.#dropped++;
      return 1;
    }
    let droppedNow = 0;
    if (this.#fifo.size >= this.#maxMessages) {
      this.#fifo.shift();
      this.#dropped++;
      droppedNow = 1;
    }
    this.#fifo.push({ item, at: now });
    return droppedNow;
  }

  /**
   * Removes every frame and returns the unexpired ones in the order they were pushed.
   * Expired ones (`now - enqueuedAt > maxAgeMs`) are counted in {@link dropped}; a clock that
   * stepped backwards can leave an expired frame behind a fresher one, and it is still caught.
   */
  drain(now: number): T[] {
    const fresh: T[] = [];
    for (const entry of this.#fifo.drain()) {
      if (now - entry.at > this.#maxAgeMs) this.#dropped++;
      else fresh.push(entry.item);
    }
    return fresh;
  }

  /** Empties the queue; returns how many frames were discarded. These are not counted as dropped. */
  clear(): number {
    const discarded = this.#fifo.size;
    this.#fifo.clear();
    return discarded;
  }
}
