import { ResilientStreamError } from '../errors.js';
import { invalid } from '../validate.js';
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
  const rateOk = dialsPerSecond === undefined || (typeof dialsPerSecond === 'number' && Number.isFinite(dialsPerSecond) && dialsPerSecond > 0);
  if (!rateOk) invalid('dialsPerSecond', 'a finite number > 0', dialsPerSecond);
  if (topics !== undefined && !isTopicList(topics)) invalid('topics', 'an array of non-empty strings', topics);
  if (signal !== undefined && !(signal instanceof AbortSignal)) invalid('signal', 'an AbortSignal', signal);
  return { maxTopicsPerConnection, dialsPerSecond, topics: topics ?? [], signal, shared };
}

/**
 * The options of the member created `ordinal`-th (0 first). With `rotate.maxAgeMs`, member k gets
 * `maxAgeMs × 0.9^(k mod 7)`: the core draws each connection's rotation point in [0.9, 1] ×
 * maxAgeMs, so members opened together rotate in disjoint windows. Members opened at other times
 * can still meet; only a core hook can promise they never rotate at once.
 */
export function memberOptions<In, Out>(shared: ResilientStreamOptions<In, Out>, ordinal: number): ResilientStreamOptions<In, Out> {
  const rotate = shared.rotate;
  if (rotate === undefined || rotate === false || typeof rotate.maxAgeMs !== 'number' || !Number.isFinite(rotate.maxAgeMs)) return shared;
  const maxAgeMs = Math.round(rotate.maxAgeMs * 0.9 ** (ordinal % ROTATION_SLOTS));
  return { ...shared, rotate: { ...rotate, maxAgeMs } };
}

/**
 * One topic or a list, for `subscribe()` and `unsubscribe()` (the same message as a stream's).
 * @throws ResilientStreamError RS_INVALID_OPTIONS for an empty or non-string topic.
 */
export function topicList(topics: string | string[], method: string): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  if (!isTopicList(list)) {
    throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected ${method}() to get a non-empty string or an array of them, got ${JSON.stringify(topics)}.`);
  }
  return list;
}

function isTopicList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((topic) => typeof topic === 'string' && topic !== '');
}
