import { StormDetector } from './storm.js';
import type { StormEndEvent, StormEvent } from './events.js';
import type { Clock, StormOptions } from './options.js';

/** What the storm watch asks of its owner. */
export interface StormCallbacks {
  emit(event: 'stormEnd', payload: StormEndEvent): void;
}

/**
 * Turns the pure {@link StormDetector} into alerts: counts reconnect attempts (flapping connections
 * produce one each), reports the `storm` alert once (returned from {@link attempt}), and `stormEnd` once the stream has then stayed open for a
 * whole window. Owns the one timer that measures that calm period.
 */
export class StormWatch {
  readonly #policy: StormOptions | false;
  /** Created on the first failure: a stream that never fails never pays for one. */
  #detector: StormDetector | undefined;
  readonly #clock: Clock;
  readonly #callbacks: StormCallbacks;
  #calmTimer: unknown;
  #lastHealthyAt: number | undefined;

  constructor(policy: StormOptions | false, clock: Clock, callbacks: StormCallbacks) {
    this.#policy = policy;
    this.#clock = clock;
    this.#callbacks = callbacks;
  }

  /** True between `storm` and `stormEnd`. */
  get active(): boolean {
    return this.#detector?.active ?? false;
  }

  /** Extra delay before the next dial while a storm lasts, in ms. */
  cooldownMs(): number {
    return this.#policy !== false && this.active ? this.#policy.cooldownMs : 0;
  }

  /** A counted reconnect attempt is about to be made; returns the alert when it starts a storm (the owner emits it). */
  attempt(): StormEvent | undefined {
    const detector = this.#ensureDetector();
    if (detector === undefined) return undefined;
    const now = this.#clock.now();
    const start = detector.recordAttempt(now);
    if (start === undefined) return undefined;
    return {
      reconnects: start.reconnects,
      windowMs: start.windowMs,
      recentFailures: detector.recentFailures.map((note) => ({ ...note })),
      sinceHealthyMs: this.#lastHealthyAt === undefined ? null : now - this.#lastHealthyAt,
    };
  }

  /** An unrequested end (close code and/or error), for the alert's recent-failures list. */
  failed(code: number | undefined, error: Error | undefined): void {
    this.#stopCalmTimer();
    this.#ensureDetector()?.noteFailure({ at: this.#clock.now(), code, error: error?.message });
  }

  /** A connection counted as healthy (it stayed up `resetAfterMs`). */
  healthy(): void {
    this.#lastHealthyAt = this.#clock.now();
  }

  /** The stream is live: during a storm, start measuring the calm window. */
  opened(): void {
    if (this.#policy === false || !this.active) return;
    this.#stopCalmTimer();
    const windowMs = this.#policy.windowMs;
    this.#calmTimer = this.#clock.setTimeout(() => {
      this.#calmTimer = undefined;
      const end = this.#detector!.end(this.#clock.now());
      if (end !== undefined) this.#callbacks.emit('stormEnd', { reconnects: end.reconnects, durationMs: end.durationMs });
    }, windowMs);
  }

  /**
   * The stream closed: releases the timer and forgets any storm without a `stormEnd` (nothing
   * calmed down, the stream is simply gone), so `health().storm` and the metrics built on it do
   * not report a closed stream as storming forever.
   */
  stop(): void {
    this.#stopCalmTimer();
    this.#detector?.reset();
  }

  #stopCalmTimer(): void {
    if (this.#calmTimer === undefined) return;
    this.#clock.clearTimeout(this.#calmTimer);
    this.#calmTimer = undefined;
  }

  #ensureDetector(): StormDetector | undefined {
    if (this.#policy === false) return undefined;
    return (this.#detector ??= new StormDetector(this.#policy));
  }
}
