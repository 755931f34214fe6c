/**
 * Reconnect-storm detection: a sliding-window count of reconnect attempts that raises one alert
 * when a feed keeps flapping (connections that open and die again and again).
 *
 * Pure: time arrives as a `now` argument in ms; no timers.
 */

/** When a burst of reconnects counts as a storm. */
export interface StormPolicy {
  /** Most reconnect attempts tolerated inside one window; one more starts a storm. Integer >= 0. */
  readonly maxReconnects: number;
  /** Width of the sliding window, in ms. An attempt at `t` is inside it while `now - t < windowMs`. */
  readonly windowMs: number;
}

/** Returned once when a storm starts. */
export interface StormStart {
  /** Attempts inside the window at the moment the storm started (always `maxReconnects + 1`). */
  readonly reconnects: number;
  /** The window those attempts fell in, in ms. */
  readonly windowMs: number;
}

/** Returned by {@link StormDetector.end} when an active storm ends. */
export interface StormEnd {
  /** Attempts recorded from the storm's start (the attempt that started it included) until its end. */
  readonly reconnects: number;
  /** `end - start`, in ms. */
  readonly durationMs: number;
}

/** One failed connection, kept so a storm alert can say what kept going wrong. */
export interface FailureNote {
  /** When it failed, in ms on the caller's clock. */
  readonly at: number;
  /** WebSocket close code, when the connection got as far as a close frame. */
  readonly code?: number;
  /** Error message (already redacted by the caller), when there was one. */
  readonly error?: string;
}

const DEFAULT_RECENT_FAILURES = 5;

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Expected \`${name}\` to be an integer >= 0, got ${String(value)}.`);
  }
}

/**
 * Counts reconnect attempts in a sliding window and reports a storm once, edge-triggered.
 *
 * Memory is bounded: only the newest `maxReconnects + 1` attempt times are kept (a ring buffer),
 * because that is all it takes to know whether the window holds more than `maxReconnects`.
 * Consequently {@link count} saturates at `maxReconnects + 1`.
 */
export class StormDetector {
  readonly #maxReconnects: number;
  readonly #windowMs: number;
  readonly #failureLimit: number;
  /** Ring of attempt times; grows up to `maxReconnects + 1`, then overwrites the oldest. */
  #times: number[] = [];
  /** Index of the slot the next attempt goes into once the ring is full. */
  #next = 0;
  #startedAt: number | undefined;
  #stormAttempts = 0;
  #failures: FailureNote[] = [];

  /**
   * @param policy - storm thresholds; throws a RangeError for a negative or fractional
   *   `maxReconnects` or a `windowMs` that is not > 0.
   * @param recentFailures - how many {@link FailureNote}s to keep for the alert. Default 5.
   */
  constructor(policy: StormPolicy, recentFailures: number = DEFAULT_RECENT_FAILURES) {
    assertCount('maxReconnects', policy.maxReconnects);
    assertCount('recentFailures', recentFailures);
    if (!(policy.windowMs > 0)) {
      throw new RangeError(`Expected \`windowMs\` to be a number > 0, got ${String(policy.windowMs)}.`);
    }
    this.#maxReconnects = policy.maxReconnects;
    this.#windowMs = policy.windowMs;
    this.#failureLimit = recentFailures;
  }

  /** Whether a storm has started and not yet ended. */
  get active(): boolean {
    return this.#startedAt !== undefined;
  }

  /** When the active storm started (ms, caller's clock), or undefined when none is active. */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  /**
   * Records a reconnect attempt at `now` (ms). Returns a {@link StormStart} exactly once, when
   * the attempts inside the window first exceed `maxReconnects`; undefined otherwise, including
   * for every further attempt while the storm is active.
   */
  recordAttempt(now: number): StormStart | undefined {
    this.#push(now);
    if (this.#startedAt !== undefined) {
      this.#stormAttempts++;
      return undefined;
    }
    const reconnects = this.count(now);
    if (reconnects <= this.#maxReconnects) return undefined;
    this.#startedAt = now;
    this.#stormAttempts = 1;
    return { reconnects, windowMs: this.#windowMs };
  }

  /**
   * Attempts inside the window ending at `now`: those at `t` with `now - t < windowMs`.
   * Saturates at `maxReconnects + 1` (see the class note on memory).
   */
  count(now: number): number {
    let inside = 0;
    // The ring is small (maxReconnects + 1) and a clock may step backwards, so check every slot
    // instead of relying on the slots being in time order.
    for (const t of this.#times) if (now - t < this.#windowMs) inside++;
    return inside;
  }

  /**
   * Ends the active storm at `now` (the conductor calls this once the stream has stayed open for
   * `windowMs`). Returns a {@link StormEnd}, or undefined (changing nothing) when no storm is
   * active. Ending also forgets every recorded attempt: one calm period gives a clean slate, so
   * a new storm needs `maxReconnects + 1` fresh attempts. Failure notes are kept.
   */
  end(now: number): StormEnd | undefined {
    if (this.#startedAt === undefined) return undefined;
    const result: StormEnd = { reconnects: this.#stormAttempts, durationMs: now - this.#startedAt };
    this.#startedAt = undefined;
    this.#stormAttempts = 0;
    this.#clearWindow();
    return result;
  }

  /** Keeps `note` among the last `recentFailures` failures, for the storm alert. */
  noteFailure(note: FailureNote): void {
    if (this.#failureLimit === 0) return;
    // The list holds a handful of notes, so shift() is cheaper than a ring's bookkeeping.
    if (this.#failures.length >= this.#failureLimit) this.#failures.shift();
    this.#failures.push(note);
  }

  /** The last `recentFailures` notes, oldest first. A copy: mutating it changes nothing here. */
  get recentFailures(): readonly FailureNote[] {
    return this.#failures.slice();
  }

  /** Forgets everything: attempts, the active storm (without reporting its end) and failure notes. */
  reset(): void {
    this.#startedAt = undefined;
    this.#stormAttempts = 0;
    this.#clearWindow();
    this.#failures = [];
  }

  #push(now: number): void {
    const capacity = this.#maxReconnects + 1;
    if (this.#times.length < capacity) {
      this.#times.push(now);
      return;
    }
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % capacity;
  }

  #clearWindow(): void {
    this.#times = [];
    this.#next = 0;
  }
}
