import { systemClock } from './clock.js';
import { describe, ResilientStreamError } from './errors.js';
import { bool, duration, fn, invalid, isPlainObject, knownKeys, number, protocols, rate, urlProblem } from './validate.js';
import type {
  BackoffOptions,
  Clock,
  HeartbeatOptions,
  Logger,
  RateLimitOptions,
  ResilientStreamOptions,
  RotateOptions,
  SendQueueOptions,
  ShouldReconnectContext,
  StormOptions,
} from './options.js';

/** How data staleness is judged once options are resolved. */
export type Staleness =
  | { readonly mode: 'off' }
  | { readonly mode: 'fixed'; readonly ms: number }
  | {
      readonly mode: 'auto';
      readonly minMs: number;
      readonly maxMs: number;
      readonly multiplier: number;
      readonly quantile: number;
      readonly warmupSamples: number;
    };

type Required_<T> = { readonly [K in keyof T]-?: T[K] };

/** Options after defaults are merged and every value is checked. */
export interface ResolvedOptions<In, Out>
  extends Omit<
    Required_<ResilientStreamOptions<In, Out>>,
    'staleAfterMs' | 'heartbeat' | 'backoff' | 'storm' | 'sendQueue' | 'topics' | 'WebSocket' | 'protocols' |
    'clientOptions' | 'subscribe' | 'unsubscribe' | 'topicOf' | 'isData' | 'sequence' | 'resync' | 'signal' |
    'rotate' | 'dedupeKey' | 'rateLimit' | 'backfill' | 'onGap' | 'logger'
  > {
  readonly WebSocket: ResilientStreamOptions<In, Out>['WebSocket'];
  readonly protocols: ResilientStreamOptions<In, Out>['protocols'];
  readonly clientOptions: ResilientStreamOptions<In, Out>['clientOptions'];
  readonly subscribe: ResilientStreamOptions<In, Out>['subscribe'];
  readonly unsubscribe: ResilientStreamOptions<In, Out>['unsubscribe'];
  readonly topicOf: ResilientStreamOptions<In, Out>['topicOf'];
  readonly isData: ResilientStreamOptions<In, Out>['isData'];
  readonly sequence: ResilientStreamOptions<In, Out>['sequence'];
  readonly resync: ResilientStreamOptions<In, Out>['resync'];
  readonly signal: AbortSignal | undefined;
  readonly topics: readonly string[];
  readonly staleAfterMs: Staleness;
  readonly heartbeat: HeartbeatOptions<In, Out> | false;
  readonly backoff: BackoffOptions;
  readonly storm: StormOptions | false;
  readonly sendQueue: SendQueueOptions | false;
  readonly rotate: ResolvedRotate<In> | false;
  readonly dedupeKey: ResilientStreamOptions<In, Out>['dedupeKey'];
  readonly rateLimit: Required<RateLimitOptions> | false;
  readonly backfill: ResilientStreamOptions<In, Out>['backfill'];
  readonly onGap: ResilientStreamOptions<In, Out>['onGap'];
  readonly logger: Logger | undefined;
}

/** Rotation after defaults: `overlapMs` is always set. */
export interface ResolvedRotate<In> extends RotateOptions<In> {
  readonly overlapMs: number;
}

/** Decodes text frames as JSON and passes binary frames through as `Uint8Array`. */
export function defaultDecode(data: string | Uint8Array): unknown {
  return typeof data === 'string' ? JSON.parse(data) : data;
}

/** Sends strings and binary as-is and anything else as JSON. */
export function defaultEncode(message: unknown): string | ArrayBufferLike | ArrayBufferView {
  if (typeof message === 'string' || message instanceof ArrayBuffer || ArrayBuffer.isView(message)) return message;
  const text = JSON.stringify(message);
  if (text === undefined) throw new TypeError(`Expected a JSON-serialisable message, got ${typeof message}.`);
  return text;
}

/** Reconnects after anything but a policy close (1008) or a refused login (401/403). */
export function defaultShouldReconnect(context: ShouldReconnectContext): boolean {
  return context.code !== 1008 && context.status !== 401 && context.status !== 403;
}

/** Every default in one place; documented in docs/options.md. */
export const DEFAULTS = Object.freeze({
  connectTimeoutMs: 10_000,
  maxMessageBytes: 16 * 1024 * 1024,
  staleAfterMs: 30_000,
  topicStaleAfterMs: false as const,
  heartbeat: Object.freeze({ intervalMs: 15_000, timeoutMs: 10_000 }),
  backoff: Object.freeze({
    initialDelayMs: 500,
    maxDelayMs: 30_000,
    factor: 2,
    outageFactor: 3,
    jitter: 'full' as const,
    maxAttempts: Number.POSITIVE_INFINITY,
    resetAfterMs: 5_000,
  }),
  storm: Object.freeze({ maxReconnects: 5, windowMs: 60_000, cooldownMs: 0 }),
  adaptiveStaleness: Object.freeze({ minMs: 5_000, maxMs: 300_000, multiplier: 3, quantile: 0.99, warmupSamples: 50 }),
  resyncTimeoutMs: 30_000,
  resyncBufferSize: 10_000,
  sendQueue: Object.freeze({ maxMessages: 100, maxAgeMs: 10_000 }),
  reconnectOnOffline: true,
  reconnectOnOnline: true,
  checkOnWake: true,
  wakeJitterMs: 1_000,
  iteratorBufferSize: 10_000,
  closeTimeoutMs: 2_000,
  maxTopicsPerMessage: Number.POSITIVE_INFINITY,
  iteratorOverflow: 'pause' as const,
});

/**
 * Checks one option, or one member of an option group, and returns its resolved value. `field` is
 * the dotted name messages show; `group` is the group's merged values (rules that depend on a
 * sibling read it).
 */
type Rule = (value: unknown, field: string, group: Record<string, unknown>) => unknown;

/** A top-level option's default (undefined for group members: their group merges defaults first). */
const fallback = (field: string): unknown => (DEFAULTS as Record<string, unknown>)[field];

const func: Rule = (value, field) => fn(field, value);
const orDefault = (rule: Rule, defaultValue: unknown): Rule => (value, field, group) => rule(value, field, group) ?? defaultValue;
const flag: Rule = (value, field) => bool(field, value, fallback(field) as boolean);
/** A duration a timer can hold, at least `min` ms (or at least the group member `min` names). */
const ms = (min: number | string): Rule => (value, field, group) =>
  (value === undefined ? fallback(field) : duration(field, value, typeof min === 'number' ? min : (group[min] as number)));
const atLeast = (min: number, kind?: { integer?: boolean; infinite?: boolean }): Rule => (value, field) =>
  (value === undefined ? fallback(field) : number(field, value, min, kind));
const int = (min: number, infinite?: boolean): Rule => atLeast(min, { integer: true, infinite });
const oneOf = (...choices: string[]): Rule => (value, field) =>
  (value === undefined ? fallback(field) : choices.includes(value as string) ? value
    : invalid(field, `one of ${choices.map((choice) => `'${choice}'`).join(', ')}`, value));

/**
 * An option group: `false` turns it off (unless `canDisable` is false), absent takes `whenAbsent`,
 * an object is merged over `defaults` (unknown keys refused: a typo must not switch a safety off)
 * and each member checked by its rule, in order. Returns a frozen object.
 */
function group(rules: Record<string, Rule>, defaults: object, whenAbsent: object | false, canDisable = true, expected = 'an object'): Rule {
  return (value, field) => {
    if (value === false && canDisable) return false;
    if (value === undefined) return whenAbsent;
    if (!isPlainObject(value)) return invalid(field, expected, value);
    knownKeys(value, Object.keys(rules), `${field}.`);
    const merged: Record<string, unknown> = { ...defaults };
    for (const [key, member] of Object.entries(value)) if (member !== undefined) merged[key] = member;
    for (const [key, rule] of Object.entries(rules)) {
      const resolved = rule(merged[key], `${field}.${key}`, merged);
      if (resolved !== undefined) merged[key] = resolved;
    }
    return Object.freeze(merged);
  };
}

const quantile: Rule = (value, field) => {
  const q = number(field, value, 0);
  return q > 0 && q < 1 ? q : invalid(field, 'a number between 0 and 1 (exclusive)', q);
};

const adaptive = group({ auto: (value) => value, minMs: ms(1), maxMs: ms('minMs'), multiplier: atLeast(1), quantile, warmupSamples: int(5) },
  DEFAULTS.adaptiveStaleness, false);

const STALENESS_OFF: Staleness = Object.freeze({ mode: 'off' });
const STALENESS_DEFAULT: Staleness = Object.freeze({ mode: 'fixed', ms: DEFAULTS.staleAfterMs });

const staleness: Rule = (value, field, options) => {
  if (value === false) return STALENESS_OFF;
  if (value === undefined || value === DEFAULTS.staleAfterMs) return STALENESS_DEFAULT;
  if (typeof value === 'number') return Object.freeze({ mode: 'fixed', ms: duration(field, value, 1) });
  if (!isPlainObject(value) || value.auto !== true) return invalid(field, 'a number, false or {auto: true, ...}', value);
  const { auto: _auto, ...learned } = adaptive(value, field, options) as Record<string, unknown>;
  return Object.freeze({ mode: 'auto', ...learned });
};

const url: Rule = (value, field) => {
  if (typeof value === 'function') return value;
  if (typeof value !== 'string' && !(value instanceof URL)) return invalid(field, 'a string, URL or function', value);
  const problem = urlProblem(value);
  return problem === undefined ? value : invalid(field, 'an absolute ws:, wss:, http: or https: URL without a #fragment', `[${problem}]`);
};

/** Shared by every stream without initial topics (one frozen array, not one each). */
const NO_TOPICS: readonly string[] = Object.freeze([]);

const topics: Rule = (value, field) => {
  if (value === undefined) return NO_TOPICS;
  if (!Array.isArray(value) || value.some((topic) => typeof topic !== 'string' || topic === '')) {
    return invalid(field, 'an array of non-empty strings', value);
  }
  return Object.freeze([...new Set(value as string[])]);
};

const clock: Rule = (value, field) => {
  if (value === undefined) return systemClock;
  if (typeof value !== 'object' || value === null) return invalid(field, 'an object with now, setTimeout and clearTimeout', value);
  for (const key of ['now', 'setTimeout', 'clearTimeout']) {
    const member = (value as Record<string, unknown>)[key];
    if (typeof member !== 'function') invalid(`${field}.${key}`, 'a function', member);
  }
  return value;
};

const logger: Rule = (value, field) => {
  if (value === undefined) return undefined;
  const ok = typeof value === 'object' && value !== null && ['debug', 'info', 'warn', 'error'].some((level) => typeof (value as Record<string, unknown>)[level] === 'function');
  return ok ? value : invalid(field, 'an object with debug, info, warn or error methods (console, pino)', value);
};

/** Rate limit: `burst` defaults to the rate (at least 1). */
const burst: Rule = (value, field, limit) => number(field, value ?? Math.max(1, limit.messagesPerSecond as number), 1);

/**
 * Every option and the rule that checks it, in the order they are checked (a test keeps the names
 * equal to ResilientStreamOptions). Absent numbers, booleans and groups take {@link DEFAULTS}.
 */
const RULES: Record<keyof ResilientStreamOptions, Rule> = {
  url,
  protocols: (value) => protocols(value),
  WebSocket: func,
  clientOptions: (value, field) => (value === undefined || isPlainObject(value) ? value : invalid(field, 'a plain object of ws options', value)),
  connectTimeoutMs: ms(1),
  maxMessageBytes: atLeast(1, { infinite: true }),
  decode: orDefault(func, defaultDecode),
  encode: orDefault(func, defaultEncode),
  topics,
  subscribe: func,
  unsubscribe: func,
  topicOf: func,
  isData: func,
  staleAfterMs: staleness,
  topicStaleAfterMs: (value, field) => (value === undefined || value === false ? false : duration(field, value, 1)),
  heartbeat: group({ intervalMs: ms(1), timeoutMs: ms(1), ping: func, isPong: func }, DEFAULTS.heartbeat, DEFAULTS.heartbeat),
  backoff: group({
    initialDelayMs: ms(0), maxDelayMs: ms('initialDelayMs'), factor: atLeast(1), outageFactor: atLeast(0, { infinite: true }),
    jitter: oneOf('full', 'equal', 'decorrelated', 'none'), maxAttempts: int(0, true), resetAfterMs: ms(0),
  }, DEFAULTS.backoff, DEFAULTS.backoff, false),
  storm: group({ maxReconnects: int(1), windowMs: ms(1), cooldownMs: ms(0) }, DEFAULTS.storm, DEFAULTS.storm),
  sequence: func,
  resync: func,
  resyncTimeoutMs: ms(1),
  resyncBufferSize: int(1),
  sendQueue: group({ maxMessages: int(1), maxAgeMs: atLeast(0, { infinite: true }) }, DEFAULTS.sendQueue, DEFAULTS.sendQueue),
  shouldReconnect: orDefault(func, defaultShouldReconnect),
  signal: (value, field) => (value === undefined || value instanceof AbortSignal ? value : invalid(field, 'an AbortSignal', value)),
  rotate: group({ maxAgeMs: ms(1), overlapMs: ms(1), isNotice: func, acquire: func }, { overlapMs: 10_000 }, false),
  dedupeKey: func,
  rateLimit: group({ messagesPerSecond: (value, field) => rate(field, value), burst, countControlFrames: flag }, { countControlFrames: true }, false,
    true, 'false or {messagesPerSecond, burst?, countControlFrames?}'),
  maxTopicsPerMessage: int(1, true),
  clock,
  random: orDefault(func, Math.random),
  reconnectOnOffline: flag,
  reconnectOnOnline: flag,
  checkOnWake: flag,
  wakeJitterMs: ms(0),
  iteratorBufferSize: int(1),
  closeTimeoutMs: ms(0),
  backfill: func,
  onGap: func,
  iteratorOverflow: oneOf('pause', 'error'),
  logger,
};

/** Every top-level option name (a test keeps it equal to ResilientStreamOptions). */
export const OPTION_NAMES = Object.freeze(Object.keys(RULES)) as readonly (keyof ResilientStreamOptions)[];

/** Every resolved default, shared as the prototype of each stream's resolved options. */
let resolvedDefaults: Record<string, unknown> | undefined;

/**
 * Merges `options` with {@link DEFAULTS}, checks every value and returns a frozen result. Only the
 * values that differ from the defaults are own properties; the rest come from one shared
 * prototype, so ten thousand streams do not carry ten thousand copies of the defaults.
 */
export function resolveOptions<In, Out>(options: ResilientStreamOptions<In, Out>): ResolvedOptions<In, Out> {
  const full = readable(() => resolveAll(options));
  resolvedDefaults ??= Object.freeze(resolveAll({ url: 'ws://defaults.invalid/' }));
  const own: PropertyDescriptorMap = {};
  // Defined, not assigned: assigning over a frozen prototype's property throws.
  for (const key of OPTION_NAMES) if (full[key] !== resolvedDefaults[key]) own[key] = { value: full[key], enumerable: true };
  // The rules above check every member of ResolvedOptions; the type cannot follow a table.
  return Object.freeze(Object.create(resolvedDefaults, own)) as ResolvedOptions<In, Out>;
}

/** Runs `resolve`; a throw that is not ours (a getter or a Proxy trap of the options) becomes RS_INVALID_OPTIONS. */
function readable<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (cause) {
    if (cause instanceof ResilientStreamError) throw cause;
    throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected options that can be read, but reading them threw: ${describe(cause)}`, { cause });
  }
}

function resolveAll(options: unknown): Record<string, unknown> {
  if (!isPlainObject(options)) invalid('options', 'a plain object', options);
  knownKeys(options as object, OPTION_NAMES);
  const given = options as Record<string, unknown>;
  if (given.backfill !== undefined && given.sequence === undefined) {
    invalid('sequence', 'a function when `backfill` is given (gaps are found by sequence; without it the hook would never run)', undefined);
  }
  const topicStale = given.topicStaleAfterMs;
  if (topicStale !== undefined && topicStale !== false && given.topicOf === undefined) {
    invalid('topicStaleAfterMs', 'false unless `topicOf` is given (without it no message has a topic and every topic looks silent)', topicStale);
  }
  const resolved: Record<string, unknown> = {};
  for (const key of OPTION_NAMES) resolved[key] = RULES[key](given[key], key, given);
  return resolved;
}
