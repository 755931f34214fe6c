import { Fifo } from './fifo.js';
import { TokenBucket } from './token-bucket.js';
import type { Clock, RateLimitOptions } from './options.js';

/** One frame waiting for a token; `isUser` frames go back to the send queue if the socket dies first. */
export interface PacedFrame<F> {
  readonly frame: F;
  readonly isUser: boolean;
}

/**
 * Outbound pacing for one socket: a token bucket (`messagesPerSecond`, `burst`) that every frame
 * passes. A frame goes at once while tokens last and nothing waits; otherwise it waits in order
 * (never dropped) and one timer sends it when its token is due. Owns at most one timer, armed
 * only while frames wait.
 */
export class Pacer<F> {
  readonly #clock: Clock;
  readonly #bucket: TokenBucket;
  readonly #write: (frame: F) => void;
  readonly #waiting = new Fifo<PacedFrame<F>>();
  #timer: unknown;

  constructor(limit: Required<RateLimitOptions>, clock: Clock, write: (frame: F) => void) {
    this.#clock = clock;
    this.#bucket = new TokenBucket(limit.messagesPerSecond, limit.burst, clock.now());
    this.#write = write;
  }

  /** Sends `frame` now if a token is free and nothing waits, else queues it behind the others. */
  submit(frame: F, isUser: boolean): void {
    if (this.#waiting.size === 0 && this.#bucket.take(this.#clock.now())) return this.#write(frame);
    this.#waiting.push({ frame, isUser });
    this.#arm();
  }

  /** The socket is gone: stops the timer and hands back what still waited, oldest first. */
  stop(): PacedFrame<F>[] {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#waiting.drain();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#waiting.size === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      while (this.#waiting.size > 0 && this.#bucket.take(this.#clock.now())) this.#write(this.#waiting.shift()!.frame);
      this.#arm();
    }, this.#bucket.waitMs(this.#clock.now()));
  }
}
