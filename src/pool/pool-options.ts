import { invalid, rate } from '../validate.js';
import type { ResilientStreamOptions } from '../options.js';

/** Options of `new StreamPool(options)`: a stream's options, shared by every member, plus the sharding rules. */
export interface StreamPoolOptions<In = unknown, Out = unknown> extends ResilientStreamOptions<In, Out> {
  /** Most topics one member (one connection) holds; more topics open more members (Binance: 1024). Required, an integer >= 1. */
  readonly maxTopicsPerConnection: number;
  /** Dials per second shared by every member, spaced evenly; the first after a quiet period goes at once. @default unlimited */
  readonly dialsPerSecond?: number;
}

/** The pool's own options, checked, and what is left for the members. */
export interface PoolSettings<In, Out> {
  readonly maxTopicsPerConnection: number;
  readonly dialsPerSecond: number | undefined;
  readonly topics: readonly string[];
  readonly signal: AbortSignal | undefined;
  /** Every other option, shared by the members (checked by the first member's constructor). */
  readonly shared: ResilientStreamOptions<In, Out>;
}

/** Rotation windows of members opened together stay apart for this many members, then repeat. */
const ROTATION_SLOTS = 7;

/**
 * Takes the pool's own options out of `options` and checks them.
 * @throws ResilientStreamError RS_INVALID_OPTIONS naming the field and the value.
 */
export function poolSettings<In, Out>(options: StreamPoolOptions<In, Out>): PoolSettings<In, Out> {
  if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
  const { maxTopicsPerConnection, dialsPerSecond, topics, signal, ...shared } = options;
  if (!Number.isInteger(maxTopicsPerConnection) || maxTopicsPerConnection < 1) invalid('maxTopicsPerConnection', 'an integer >= 1', maxTopicsPerConnection);
  if (dialsPerSecond !== undefined) rate('dialsPerSecond', dialsPerSecond);
  if (topics !== undefined && !isTopicList(topics)) invalid('topics', 'an array of non-empty strings', topics);
  if (signal !== undefined && !(signal instanceof AbortSignal)) invalid('signal', 'an AbortSignal', signal);
  return { maxTopicsPerConnection, dialsPerSecond, topics: topics ?? [], signal, shared };
}

/**
 * The options of the member created `ordinal`-th (0 first). With rotation, every member takes the
 * pool's one rotation lock (`rotate.acquire`), so members never rotate at the same time; with
 * `rotate.maxAgeMs`, member k also gets `maxAgeMs × 0.9^(k mod 7)`, so members opened together
 * come due in separate windows instead of queueing for the lock.
 */
export function memberOptions<In, Out>(shared: ResilientStreamOptions<In, Out>, ordinal: number, lock: RotationLock): ResilientStreamOptions<In, Out> {
  const rotate = shared.rotate;
  if (rotate === undefined || rotate === false) return shared;
  const userAcquire = rotate.acquire;
  const acquire = async (context: { readonly signal: AbortSignal }): Promise<() => void> => {
    const release = await lock.acquire(context.signal);
    if (userAcquire === undefined) return release;
    try {
      const releaseUser = await userAcquire(context);
      return () => { releaseUser(); release(); };
    } catch (error) {
      release();
      throw error;
    }
  };
  const maxAgeMs = typeof rotate.maxAgeMs === 'number' && Number.isFinite(rotate.maxAgeMs)
    ? Math.round(rotate.maxAgeMs * 0.9 ** (ordinal % ROTATION_SLOTS)) : rotate.maxAgeMs;
  return { ...shared, rotate: { ...rotate, acquire, ...(maxAgeMs === undefined ? {} : { maxAgeMs }) } };
}

/** One holder at a time, first come first served; a waiter whose signal aborts leaves the queue. */
export class RotationLock {
  #held = false;
  readonly #queue: Array<{ grant: (release: () => void) => void; fail: (reason: unknown) => void; signal: AbortSignal; onAbort: () => void }> = [];

  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((grant, fail) => {
      const waiter = { grant, fail, signal, onAbort: () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        fail(signal.reason);
      } };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** A release that works once, handing the lock to the next waiter. */
  #releaser(): () => void {
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      const next = this.#queue.shift();
      if (next === undefined) {
        this.#held = false;
        return;
      }
      next.signal.removeEventListener('abort', next.onAbort);
      next.grant(this.#releaser());
    };
  }
}

function isTopicList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((topic) => typeof topic === 'string' && topic !== '');
}
