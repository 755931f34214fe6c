import type { Clock } from '../options.js';
import { TokenBucket } from '../token-bucket.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * One dial budget shared by every member of a pool: dials are spaced at least `1000 /
 * dialsPerSecond` ms apart (a token bucket of burst 1), granted first come, first served. The
 * first dial after a quiet period goes at once. Owns at most one timer, armed only while
 * someone waits, so an idle or closed pool holds nothing.
 */
export class DialBudget {
  readonly #clock: Clock;
  readonly #bucket: TokenBucket;
  readonly #queue: Waiter[] = [];
  #timer: unknown;

  constructor(dialsPerSecond: number, clock: Clock) {
    this.#clock = clock;
    this.#bucket = new TokenBucket(dialsPerSecond, 1, clock.now());
  }

  /**
   * Resolves when this dial may go. Aborting `signal` leaves the queue and rejects with the
   * signal's reason (the stream closed or gave up on the dial), spending nothing.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.#queue.length === 0 && this.#bucket.take(this.#clock.now())) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: () => this.#leave(waiter) };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      this.#arm();
    });
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    const delayMs = this.#bucket.waitMs(this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#grant();
    }, delayMs);
  }

  #grant(): void {
    while (this.#queue.length > 0 && this.#bucket.take(this.#clock.now())) {
      const waiter = this.#queue.shift()!;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#arm();
  }

  #leave(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index === -1) return;
    this.#queue.splice(index, 1);
    waiter.reject(waiter.signal?.reason);
    if (this.#queue.length === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
