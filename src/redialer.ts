import { backoffDelay, checkedRandom } from './backoff.js';
import { describeEnd, isUnrequested, type ConnectionEnd } from './connection-end.js';
import { ResilientStreamError } from './errors.js';
import type { StormEvent } from './events.js';
import type { ResolvedOptions } from './resolve-options.js';
import { MAX_DURATION_MS } from './validate.js';

/** Node fires a timer at once when armed for longer than 2^31 - 1 ms; no wait is ever armed longer. */
const MAX_TIMER_MS = MAX_DURATION_MS;

/** What the redialer asks of its owner: one dial at a time. */
export interface RedialHost {
  /** Start dial `attempt`; report its outcome with {@link Redialer.live} or the teardown's {@link Redialer.follow}. */
  dial(attempt: number): void;
  /** A user hook misbehaved (a `random` that throws or draws outside [0, 1)); the loop went on. */
  error(error: ResilientStreamError): void;
}

/** The storm watch as the redialer sees it. */
export interface StormCounter {
  /** Records a counted reconnect attempt; returns the alert when this attempt starts a storm. */
  attempt(): StormEvent | undefined;
  cooldownMs(): number;
  failed(code: number | undefined, error: Error | undefined): void;
  healthy(): void;
}

/** What happens after a connection ended. */
export type RedialPlan =
  | { readonly retry: true; readonly attempt: number; readonly delayMs: number; readonly reason: string; readonly storm?: StormEvent }
  | { readonly retry: false; readonly error: ResilientStreamError };

type RetryPlan = Extract<RedialPlan, { retry: true }>;
type RedialOptions = Pick<ResolvedOptions<unknown, unknown>, 'backoff' | 'random' | 'clock' | 'wakeJitterMs'>;

/** How the pending dial of a loop ended: it went live, it ended with a retry plan, or the loop was superseded. */
type DialOutcome = 'live' | 'superseded' | RetryPlan;

/**
 * The attempt loop: the attempt counter, the previous delay, the interruptible wait, wake jitter,
 * Retry-After and the storm cooldown. One outage is one plain async loop: dial, await how the dial
 * ended, wait out the planned delay (see backoff.ts), dial again.
 *
 * Each loop has a generation. Starting a loop or stopping supersedes the running one: a
 * superseded loop never dials, never waits again and never reports, so it cannot change a newer
 * `start()`'s state. While a socket is live no loop runs at all.
 */
export class Redialer {
  readonly #options: RedialOptions;
  readonly #storm: StormCounter;
  readonly #host: RedialHost;
  /** `options.random`, each draw checked (Math.random as it is). */
  readonly #random: () => number;
  #loop = 0;
  #attempt = 0;
  #previousDelayMs: number | undefined;
  /** When this outage's first counted end happened (clock ms); the time since bounds the backoff cap. */
  #outageStartedAt: number | undefined;
  #pending: ((outcome: DialOutcome) => void) | undefined;
  #wait: (() => void) | undefined;
  #wakeTimer: unknown;
  #skipNext = false;
  #wokeWhileDialing = false;

  constructor(options: RedialOptions, storm: StormCounter, host: RedialHost) {
    this.#options = options;
    this.#storm = storm;
    this.#host = host;
    this.#random = checkedRandom(options.random, (error) => host.error(error));
  }

  /** Consecutive unrequested ends since the last healthy connection (0 after `start()`). */
  get attempt(): number {
    return this.#attempt;
  }

  /** A fresh run: counters reset, dial at once. */
  start(): void {
    this.#attempt = 0;
    this.#previousDelayMs = undefined;
    this.#outageStartedAt = undefined;
    this.#skipNext = false;
    void this.#run(this.#supersede());
  }

  /** The pending dial is live: this outage is over. */
  live(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#wokeWhileDialing = false;
    pending?.('live');
  }

  /**
   * Counts a connection's end and decides: retry after a delay, or give up. Emits nothing; the
   * plan carries the storm alert this attempt raised, for the owner to emit in order.
   * @param refusal - the terminal error when `shouldReconnect` said no.
   */
  plan(end: ConnectionEnd, wasHealthy: boolean, refusal: ResilientStreamError | undefined): RedialPlan {
    if (wasHealthy) {
      this.#attempt = 0;
      this.#previousDelayMs = undefined;
      this.#outageStartedAt = undefined;
      this.#storm.healthy();
    }
    if (!isUnrequested(end)) return this.#retry(end.waitMs ?? 0, describeEnd(end), undefined);
    this.#storm.failed(end.code, end.error);
    if (refusal !== undefined) return { retry: false, error: refusal };
    const { maxAttempts } = this.#options.backoff;
    // The outage starts with its first counted end, and a flapping server's short-lived opens do not
    // restart it (only a connection that lived resetAfterMs does), so they are paced like failures.
    this.#outageStartedAt ??= this.#options.clock.now();
    if (++this.#attempt > maxAttempts) {
      return { retry: false, error: new ResilientStreamError('RS_RETRIES_EXHAUSTED',
        `Gave up after ${maxAttempts} reconnect attempts (backoff.maxAttempts); last: ${describeEnd(end)}`, { cause: end.error }) };
    }
    // Record first: the attempt that starts a storm already gets the storm's cooldown.
    const storm = this.#storm.attempt();
    return this.#retry(this.#delayFor(end), describeEnd(end), storm);
  }

  /** Carries out a retry plan: the loop whose dial ended waits it out, or a new loop starts. */
  follow(plan: RetryPlan): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) pending(plan);
    else void this.#run(this.#supersede(), plan);
  }

  /** Ends the running loop, its wait and any wake timer (close(), failed). */
  stop(): void {
    this.#supersede();
    this.#skipNext = false;
  }

  /** Dial now: cuts the current wait short, or makes the next one zero. */
  skip(): void {
    if (this.#wait !== undefined) this.#wait();
    else this.#skipNext = true;
  }

  /**
   * The network is back or the page woke: cut a wait short after a small uniform delay (so a
   * fleet does not dial in the same millisecond); during a dial, make its retry, if any, that short.
   */
  wake(): void {
    if (this.#pending !== undefined && this.#wait === undefined) this.#wokeWhileDialing = true;
    const wait = this.#wait;
    if (wait === undefined || this.#wakeTimer !== undefined) return;
    this.#wakeTimer = this.#options.clock.setTimeout(() => {
      this.#wakeTimer = undefined;
      if (this.#wait === wait) wait();
    }, this.#wakeDelay());
  }

  #retry(delayMs: number, reason: string, storm: StormEvent | undefined): RetryPlan {
    const skip = this.#skipNext;
    this.#skipNext = false;
    const plan = { retry: true as const, attempt: this.#attempt, delayMs: skip ? 0 : Math.min(delayMs, MAX_TIMER_MS), reason };
    return storm === undefined ? plan : { ...plan, storm };
  }

  /**
   * The jittered backoff delay (its cap bounded by the outage so far) plus the storm cooldown,
   * never shorter than a server's Retry-After.
   */
  #delayFor(end: ConnectionEnd): number {
    if (this.#wokeWhileDialing) {
      this.#wokeWhileDialing = false;
      return this.#wakeDelay();
    }
    const { backoff, clock } = this.#options;
    const outageMs = this.#outageStartedAt === undefined ? 0 : clock.now() - this.#outageStartedAt;
    const jittered = backoffDelay(this.#attempt, backoff, this.#random, this.#previousDelayMs, outageMs);
    this.#previousDelayMs = jittered;
    const delayMs = jittered + this.#storm.cooldownMs();
    const retryAfterMs = end.error?.retryAfterMs;
    return retryAfterMs === undefined ? delayMs : Math.max(delayMs, Math.min(retryAfterMs, backoff.maxDelayMs));
  }

  #wakeDelay(): number {
    return this.#random() * this.#options.wakeJitterMs;
  }

  /** Retires the running loop (its pending dial and wait end quietly); returns the new generation. */
  #supersede(): number {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#wait?.();
    if (this.#wakeTimer !== undefined) this.#options.clock.clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    this.#wokeWhileDialing = false;
    pending?.('superseded');
    return ++this.#loop;
  }

  /** One outage: optionally wait, then dial until a dial goes live or the loop is superseded. */
  async #run(loop: number, first?: RetryPlan): Promise<void> {
    let plan = first;
    try {
      // Once superseded the loop just ends: whoever superseded it (close(), a give-up, a new
      // start()) owns the stream now.
      while (loop === this.#loop) {
        if (plan !== undefined) {
          await this.#sleep(plan.delayMs);
          if (loop !== this.#loop) return;
        }
        const outcome = await this.#dialOnce();
        if (outcome === 'live' || outcome === 'superseded') return;
        plan = outcome;
      }
    } catch {
      // A dial that throws is a bug in the host, not an outage to retry: the loop ends quietly
      // rather than leaving an unhandled rejection behind.
    }
  }

  /** Dials and resolves with how that dial ended; set up before dialing, since a dial may end at once. */
  #dialOnce(): Promise<DialOutcome> {
    return new Promise<DialOutcome>((resolve) => {
      this.#pending = resolve;
      this.#host.dial(this.#attempt);
    });
  }

  /** Waits `delayMs` unless cut short by skip(), wake() or the loop being superseded. */
  #sleep(delayMs: number): Promise<void> {
    if (this.#skipNext || delayMs <= 0) {
      this.#skipNext = false;
      return Promise.resolve();
    }
    const { clock } = this.#options;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clock.clearTimeout(timer);
        if (this.#wait === done) this.#wait = undefined;
        resolve();
      };
      const timer = clock.setTimeout(done, Math.min(delayMs, MAX_TIMER_MS));
      this.#wait = done;
    });
  }
}
