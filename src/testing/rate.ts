/** The shortest data tick, in ms: faster rates are sent in bursts rather than with a busier timer. */
export const MIN_TICK_MS = 20;

/** The period of the single data timer for a rate (messages per second per topic). */
export function tickIntervalMs(messagesPerSecond: number): number {
  return Math.max(MIN_TICK_MS, 1000 / messagesPerSecond);
}

/**
 * Turns elapsed time into a whole number of messages per topic, carrying the fraction to the
 * next tick, so the average rate is exact however late the timer fires. Pure: the caller
 * passes the clock reading.
 */
export class RateCredit {
  readonly #perMs: number;
  readonly #maxBurst: number;
  #carry = 0;
  #lastAt: number;

  /**
   * @param messagesPerSecond - Target rate per topic.
   * @param now - Clock reading in ms when counting starts.
   */
  constructor(messagesPerSecond: number, now: number) {
    this.#perMs = messagesPerSecond / 1000;
    // After a long event-loop stall send at most one second's worth, not a flood.
    this.#maxBurst = Math.max(1, messagesPerSecond);
    this.#lastAt = now;
  }

  /** How many messages each topic should get for the time since the previous call. */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.#lastAt);
    this.#lastAt = now;
    this.#carry = Math.min(this.#maxBurst, this.#carry + elapsed * this.#perMs);
    const count = Math.floor(this.#carry);
    this.#carry -= count;
    return count;
  }
}
