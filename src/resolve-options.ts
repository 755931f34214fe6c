import { systemClock } from './clock.js';
import { bool, duration, fn, group, invalid, isPlainObject, knownKeys, number, protocols, urlProblem } from './validate.js';
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
  readonly staleness: Staleness;
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

const ADAPTIVE_KEYS = ['auto', ...Object.keys(DEFAULTS.adaptiveStaleness)];
const HEARTBEAT_KEYS = ['intervalMs', 'timeoutMs', 'ping', 'isPong'];
const ROTATE_DEFAULTS = Object.freeze({ overlapMs: 10_000 });
const ROTATE_KEYS = ['maxAgeMs', 'overlapMs', 'isNotice', 'acquire'];
const RATE_LIMIT_KEYS = ['messagesPerSecond', 'burst', 'countControlFrames'];

function resolveUrl<In, Out>(value: ResilientStreamOptions<In, Out>['url']): ResilientStreamOptions<In, Out>['url'] {
  if (typeof value === 'function') return value;
  if (typeof value !== 'string' && !(value instanceof URL)) return invalid('url', 'a string, URL or function', value);
  const problem = urlProblem(value);
  if (problem !== undefined) invalid('url', 'an absolute ws:, wss:, http: or https: URL without a #fragment', `[${problem}]`);
  return value;
}

function resolveClientOptions(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) return invalid('clientOptions', 'a plain object of ws options', value);
  return value;
}

const STALENESS_OFF: Staleness = Object.freeze({ mode: 'off' });
const STALENESS_DEFAULT: Staleness = Object.freeze({ mode: 'fixed', ms: DEFAULTS.staleAfterMs });

function resolveStaleness(value: ResilientStreamOptions['staleAfterMs']): Staleness {
  if (value === false) return STALENESS_OFF;
  if (value === undefined || value === DEFAULTS.staleAfterMs) return STALENESS_DEFAULT;
  if (typeof value === 'number') return { mode: 'fixed', ms: duration('staleAfterMs', value, 1) };
  if (!isPlainObject(value) || value.auto !== true) {
    return invalid('staleAfterMs', 'a number, false or {auto: true, ...}', value);
  }
  const merged = group('staleAfterMs', value, { ...DEFAULTS.adaptiveStaleness, auto: true }, ADAPTIVE_KEYS);
  const minMs = duration('staleAfterMs.minMs', merged.minMs, 1);
  const maxMs = duration('staleAfterMs.maxMs', merged.maxMs, minMs);
  const multiplier = number('staleAfterMs.multiplier', merged.multiplier, 1);
  const quantile = number('staleAfterMs.quantile', merged.quantile, 0);
  if (quantile <= 0 || quantile >= 1) invalid('staleAfterMs.quantile', 'a number between 0 and 1 (exclusive)', quantile);
  const warmupSamples = number('staleAfterMs.warmupSamples', merged.warmupSamples, 5, { integer: true });
  return { mode: 'auto', minMs, maxMs, multiplier, quantile, warmupSamples };
}

function resolveHeartbeat<In, Out>(value: ResilientStreamOptions<In, Out>['heartbeat']): HeartbeatOptions<In, Out> | false {
  if (value === false) return false;
  const merged = group<HeartbeatOptions<In, Out>>('heartbeat', value, DEFAULTS.heartbeat, HEARTBEAT_KEYS);
  duration('heartbeat.intervalMs', merged.intervalMs, 1);
  duration('heartbeat.timeoutMs', merged.timeoutMs, 1);
  fn('heartbeat.ping', merged.ping);
  fn('heartbeat.isPong', merged.isPong);
  return Object.freeze(merged);
}

function resolveBackoff(value: unknown): BackoffOptions {
  const merged = group<BackoffOptions>('backoff', value, DEFAULTS.backoff);
  duration('backoff.initialDelayMs', merged.initialDelayMs, 0);
  duration('backoff.maxDelayMs', merged.maxDelayMs, merged.initialDelayMs);
  number('backoff.factor', merged.factor, 1);
  number('backoff.outageFactor', merged.outageFactor, 0, { infinite: true });
  if (!['full', 'equal', 'decorrelated', 'none'].includes(merged.jitter)) {
    invalid('backoff.jitter', "one of 'full', 'equal', 'decorrelated', 'none'", merged.jitter);
  }
  number('backoff.maxAttempts', merged.maxAttempts, 0, { integer: true, infinite: true });
  duration('backoff.resetAfterMs', merged.resetAfterMs, 0);
  return Object.freeze(merged);
}

function resolveStorm(value: unknown): StormOptions | false {
  if (value === false) return false;
  const merged = group<StormOptions>('storm', value, DEFAULTS.storm);
  number('storm.maxReconnects', merged.maxReconnects, 1, { integer: true });
  duration('storm.windowMs', merged.windowMs, 1);
  duration('storm.cooldownMs', merged.cooldownMs, 0);
  return Object.freeze(merged);
}

function resolveSendQueue(value: unknown): SendQueueOptions | false {
  if (value === false) return false;
  const merged = group<SendQueueOptions>('sendQueue', value, DEFAULTS.sendQueue);
  number('sendQueue.maxMessages', merged.maxMessages, 1, { integer: true });
  number('sendQueue.maxAgeMs', merged.maxAgeMs, 0, { infinite: true });
  return Object.freeze(merged);
}

/** Shared by every stream without initial topics (one frozen array, not one each). */
const NO_TOPICS: readonly string[] = Object.freeze([]);

function resolveTopics(value: unknown): readonly string[] {
  if (value === undefined) return NO_TOPICS;
  if (!Array.isArray(value) || value.some((topic) => typeof topic !== 'string' || topic === '')) {
    return invalid('topics', 'an array of non-empty strings', value);
  }
  return Object.freeze([...new Set(value as string[])]);
}

function resolveClock(value: Clock | undefined): Clock {
  if (value === undefined) return systemClock;
  if (typeof value !== 'object' || value === null) return invalid('clock', 'an object with now, setTimeout and clearTimeout', value);
  for (const key of ['now', 'setTimeout', 'clearTimeout'] as const) {
    if (typeof value[key] !== 'function') invalid(`clock.${key}`, 'a function', value[key]);
  }
  return value;
}


/** Every resolved default, shared as the prototype of each stream's resolved options. */
let resolvedDefaults: Record<string, unknown> | undefined;

/**
 * Merges `options` with {@link DEFAULTS}, checks every value and returns a frozen result. Only the
 * values that differ from the defaults are own properties; the rest come from one shared
 * prototype, so ten thousand streams do not carry ten thousand copies of the defaults.
 */
export function resolveOptions<In, Out>(options: ResilientStreamOptions<In, Out>): ResolvedOptions<In, Out> {
  const full = resolveAll(options) as unknown as Record<string, unknown>;
  resolvedDefaults ??= Object.freeze(resolveAll({ url: 'ws://defaults.invalid/' })) as unknown as Record<string, unknown>;
  const own: PropertyDescriptorMap = {};
  // Defined, not assigned: assigning over a frozen prototype's property throws.
  for (const key of Object.keys(full)) if (full[key] !== resolvedDefaults[key]) own[key] = { value: full[key], enumerable: true };
  return Object.freeze(Object.create(resolvedDefaults, own)) as ResolvedOptions<In, Out>;
}

/** Every top-level option name (a test keeps it equal to ResilientStreamOptions). */
export const OPTION_NAMES = Object.freeze([
  'url', 'protocols', 'WebSocket', 'clientOptions', 'connectTimeoutMs', 'maxMessageBytes', 'decode', 'encode', 'topics',
  'subscribe', 'unsubscribe', 'topicOf', 'isData', 'staleAfterMs', 'topicStaleAfterMs', 'heartbeat', 'backoff', 'storm',
  'sequence', 'resync', 'resyncTimeoutMs', 'resyncBufferSize', 'sendQueue', 'shouldReconnect', 'signal', 'rotate',
  'dedupeKey', 'rateLimit', 'maxTopicsPerMessage', 'clock', 'random', 'reconnectOnOffline', 'reconnectOnOnline',
  'checkOnWake', 'wakeJitterMs', 'iteratorBufferSize', 'closeTimeoutMs', 'backfill', 'onGap', 'iteratorOverflow', 'logger',
] as const);

function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'object' && value !== null && ['debug', 'info', 'warn', 'error'].some((level) => typeof (value as Record<string, unknown>)[level] === 'function');
  return ok ? (value as Logger) : invalid('logger', 'an object with debug, info, warn or error methods (console, pino)', value);
}

function resolveRotate<In>(value: unknown): ResolvedRotate<In> | false {
  if (value === undefined || value === false) return false;
  const merged = group<RotateOptions<In>>('rotate', value, ROTATE_DEFAULTS, ROTATE_KEYS);
  if (merged.maxAgeMs !== undefined) duration('rotate.maxAgeMs', merged.maxAgeMs, 1);
  duration('rotate.overlapMs', merged.overlapMs, 1);
  fn('rotate.isNotice', merged.isNotice);
  fn('rotate.acquire', merged.acquire);
  return Object.freeze(merged) as ResolvedRotate<In>;
}

function resolveRateLimit(value: unknown): Required<RateLimitOptions> | false {
  if (value === undefined || value === false) return false;
  if (!isPlainObject(value)) return invalid('rateLimit', 'false or {messagesPerSecond, burst?, countControlFrames?}', value);
  knownKeys(value, RATE_LIMIT_KEYS, 'rateLimit.');
  const messagesPerSecond = number('rateLimit.messagesPerSecond', value.messagesPerSecond, Number.MIN_VALUE);
  const burst = number('rateLimit.burst', value.burst ?? Math.max(1, messagesPerSecond), 1);
  const countControlFrames = bool('rateLimit.countControlFrames', value.countControlFrames, true);
  return Object.freeze({ messagesPerSecond, burst, countControlFrames });
}

function resolveAll<In, Out>(options: ResilientStreamOptions<In, Out>): ResolvedOptions<In, Out> {
  if (!isPlainObject(options)) invalid('options', 'a plain object', options);
  knownKeys(options, OPTION_NAMES);
  const topicStale = options.topicStaleAfterMs;
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) invalid('signal', 'an AbortSignal', options.signal);
  const topicOf = fn('topicOf', options.topicOf);
  if (options.backfill !== undefined && options.sequence === undefined) {
    invalid('sequence', 'a function when `backfill` is given (gaps are found by sequence; without it the hook would never run)', undefined);
  }
  if (topicStale !== undefined && topicStale !== false && topicOf === undefined) {
    invalid('topicStaleAfterMs', 'false unless `topicOf` is given (without it no message has a topic and every topic looks silent)', topicStale);
  }
  return Object.freeze({
    url: resolveUrl(options.url),
    protocols: protocols(options.protocols),
    WebSocket: fn('WebSocket', options.WebSocket),
    clientOptions: resolveClientOptions(options.clientOptions),
    connectTimeoutMs: duration('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 1),
    maxMessageBytes: number('maxMessageBytes', options.maxMessageBytes ?? DEFAULTS.maxMessageBytes, 1, { infinite: true }),
    decode: fn('decode', options.decode) ?? (defaultDecode as (data: string | Uint8Array) => In),
    encode: fn('encode', options.encode) ?? defaultEncode,
    topics: resolveTopics(options.topics),
    subscribe: fn('subscribe', options.subscribe),
    unsubscribe: fn('unsubscribe', options.unsubscribe),
    topicOf,
    isData: fn('isData', options.isData),
    staleness: resolveStaleness(options.staleAfterMs),
    topicStaleAfterMs: topicStale === undefined || topicStale === false ? false : duration('topicStaleAfterMs', topicStale, 1),
    heartbeat: resolveHeartbeat(options.heartbeat),
    backoff: resolveBackoff(options.backoff),
    storm: resolveStorm(options.storm),
    sequence: fn('sequence', options.sequence),
    resync: fn('resync', options.resync),
    backfill: fn('backfill', options.backfill),
    onGap: fn('onGap', options.onGap),
    resyncTimeoutMs: duration('resyncTimeoutMs', options.resyncTimeoutMs ?? DEFAULTS.resyncTimeoutMs, 1),
    resyncBufferSize: number('resyncBufferSize', options.resyncBufferSize ?? DEFAULTS.resyncBufferSize, 1, { integer: true }),
    sendQueue: resolveSendQueue(options.sendQueue),
    shouldReconnect: fn('shouldReconnect', options.shouldReconnect) ?? defaultShouldReconnect,
    signal: options.signal,
    rotate: resolveRotate<In>(options.rotate),
    dedupeKey: fn('dedupeKey', options.dedupeKey),
    rateLimit: resolveRateLimit(options.rateLimit),
    maxTopicsPerMessage: number('maxTopicsPerMessage', options.maxTopicsPerMessage ?? DEFAULTS.maxTopicsPerMessage, 1, { integer: true, infinite: true }),
    clock: resolveClock(options.clock),
    random: fn('random', options.random) ?? Math.random,
    reconnectOnOffline: bool('reconnectOnOffline', options.reconnectOnOffline, DEFAULTS.reconnectOnOffline),
    reconnectOnOnline: bool('reconnectOnOnline', options.reconnectOnOnline, DEFAULTS.reconnectOnOnline),
    checkOnWake: bool('checkOnWake', options.checkOnWake, DEFAULTS.checkOnWake),
    wakeJitterMs: duration('wakeJitterMs', options.wakeJitterMs ?? DEFAULTS.wakeJitterMs, 0),
    iteratorBufferSize: number('iteratorBufferSize', options.iteratorBufferSize ?? DEFAULTS.iteratorBufferSize, 1, { integer: true }),
    closeTimeoutMs: duration('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs, 0),
    iteratorOverflow: options.iteratorOverflow === undefined || options.iteratorOverflow === 'pause' || options.iteratorOverflow === 'error'
      ? options.iteratorOverflow ?? DEFAULTS.iteratorOverflow : invalid('iteratorOverflow', "'pause' or 'error'", options.iteratorOverflow),
    logger: resolveLogger(options.logger),
  });
}
