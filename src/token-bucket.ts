import { MAX_DURATION_MS } from './validate.js';

/** Float slack: a bucket refilled for exactly the time `waitMs()` named must hold its token. */
const EPSILON = 1e-9;

/**
 * A token bucket, the classic traffic shaper (as in RFC 2697's single-rate meter): tokens accrue at
 * `ratePerSecond` up to `burst`, and each event spends one. It starts full. Pure: no timers, the
 * caller passes every clock reading (ms).
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /**
   * @param ratePerSecond - Tokens added per second (> 0).
   * @param burst - Most tokens held, so most events at once after a quiet period (>= 1).
   * @param now - The clock reading when the bucket is created, in ms.
   */
  constructor(ratePerSecond: number, burst: number, now: number) {
    this.#perMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Spends one token if one is there at `now`; false (and nothing spent) otherwise. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1 - EPSILON) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /**
   * Milliseconds from `now` until a token is there (0 when one is), rounded up to whole ms, and
   * never more than the longest timer (a caller re-checks after it: a tiny rate cannot make a
   * timer overflow and fire at once).
   */
  waitMs(now: number): number {
    this.#refill(now);
    return this.#tokens >= 1 - EPSILON ? 0 : Math.min(MAX_DURATION_MS, Math.ceil((1 - this.#tokens) / this.#perMs));
  }

  #refill(now: number): void {
    // A clock that went backwards adds nothing (and never removes tokens).
    if (now <= this.#at) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
  }
}
