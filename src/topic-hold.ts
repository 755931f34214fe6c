import { Fifo } from './fifo.js';
import type { Clock } from './options.js';

/** A message waiting for a resync or backfill; `first`/`last` are NaN when it carries no sequence. */
export interface Held<In> {
  readonly message: In;
  readonly isData: boolean;
  readonly topic: string | undefined;
  readonly key: string;
  readonly first: number;
  readonly last: number;
}

/** Failed hook runs of one per-topic resync or backfill before it gives up (resync: recycle; backfill: deliver with `missing`). */
export const MAX_TOPIC_FAILURES = 3;

/** Delay before retry n (n >= 1) of a failed per-topic hook run: 100 ms, doubling (100, 200, 400 ...). */
export function topicRetryDelayMs(failures: number): number {
  return 100 * 2 ** (failures - 1);
}

/**
 * One tracker key whose messages are held back while a per-topic resync or a backfill repairs
 * its gap; every other key keeps flowing. Owns the running hook's abort controller and the retry
 * timer, so cancel() ends everything the repair is waiting on.
 */
export class TopicHold<In> {
  readonly items = new Fifo<Held<In>>();
  /** The running hook's controller; undefined between runs. */
  abort: AbortController | undefined;
  readonly #clock: Clock;
  #timer: unknown;
  #wake: (() => void) | undefined;

  constructor(readonly key: string, readonly generation: number, clock: Clock) {
    this.#clock = clock;
  }

  /** Resolves after `delayMs`, or at once when cancel() is called. */
  wait(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = this.#clock.setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, delayMs);
    });
  }

  /** Aborts the running hook and ends a retry wait; the repair sees it is no longer current. */
  cancel(reason: unknown): void {
    this.abort?.abort(reason);
    this.abort = undefined;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
    this.#wake = undefined;
  }
}
