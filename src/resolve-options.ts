import { ResilientStreamError } from './errors.js';
import { systemClock } from './clock.js';
import type {
  BackoffOptions,
  Clock,
  HeartbeatOptions,
  ResilientStreamOptions,
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
    'clientOptions' | 'subscribe' | 'unsubscribe' | 'topicOf' | 'isData' | 'sequence' | 'resync' | 'signal'
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
});

function invalid(field: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' || Array.isArray(got) ? JSON.stringify(got) : typeof got === 'function' ? 'a function' : String(got);
  throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected \`${field}\` to be ${expected}, got ${shown}.`);
}

function number(field: string, value: unknown, min: number, options: { integer?: boolean; infinite?: boolean } = {}): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    (Number.isFinite(value) || options.infinite === true) &&
    (options.integer !== true || !Number.isFinite(value) || Number.isInteger(value));
  if (ok) return value as number;
  const kind = options.integer === true ? 'an integer' : options.infinite === true ? 'a number' : 'a finite number';
  return invalid(field, `${kind} >= ${min}`, value);
}

function fn<T>(field: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') invalid(field, 'a function', value);
  return value;
}

function group<T extends object>(field: string, value: unknown, defaults: T): T {
  if (value === undefined) return defaults;
  if (typeof value !== 'object' || value === null) return invalid(field, 'an object', value);
  return { ...defaults, ...(value as Partial<T>) };
}

function resolveUrl<In, Out>(value: ResilientStreamOptions<In, Out>['url']): ResilientStreamOptions<In, Out>['url'] {
  if (typeof value === 'function' || value instanceof URL) return value;
  if (typeof value !== 'string') return invalid('url', 'a string, URL or function', value);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return invalid('url', 'an absolute ws:// or wss:// URL', '[unparsable url]');
  }
  if (!/^(wss?|https?):$/.test(parsed.protocol)) invalid('url', 'a ws:, wss:, http: or https: URL', parsed.protocol);
  return value;
}

const STALENESS_OFF: Staleness = Object.freeze({ mode: 'off' });
const STALENESS_DEFAULT: Staleness = Object.freeze({ mode: 'fixed', ms: DEFAULTS.staleAfterMs });

function resolveStaleness(value: ResilientStreamOptions['staleAfterMs']): Staleness {
  if (value === false) return STALENESS_OFF;
  if (value === undefined || value === DEFAULTS.staleAfterMs) return STALENESS_DEFAULT;
  if (typeof value === 'number') return { mode: 'fixed', ms: number('staleAfterMs', value, 1) };
  if (typeof value !== 'object' || value === null || value.auto !== true) {
    return invalid('staleAfterMs', 'a number, false or {auto: true, ...}', value);
  }
  const merged = { ...DEFAULTS.adaptiveStaleness, ...value };
  const minMs = number('staleAfterMs.minMs', merged.minMs, 1);
  const maxMs = number('staleAfterMs.maxMs', merged.maxMs, minMs);
  const multiplier = number('staleAfterMs.multiplier', merged.multiplier, 1);
  const quantile = number('staleAfterMs.quantile', merged.quantile, 0);
  if (quantile <= 0 || quantile >= 1) invalid('staleAfterMs.quantile', 'a number between 0 and 1 (exclusive)', quantile);
  const warmupSamples = number('staleAfterMs.warmupSamples', merged.warmupSamples, 5, { integer: true });
  return { mode: 'auto', minMs, maxMs, multiplier, quantile, warmupSamples };
}

function resolveHeartbeat<In, Out>(value: ResilientStreamOptions<In, Out>['heartbeat']): HeartbeatOptions<In, Out> | false {
  if (value === false) return false;
  const merged = group<HeartbeatOptions<In, Out>>('heartbeat', value, DEFAULTS.heartbeat);
  number('heartbeat.intervalMs', merged.intervalMs, 1);
  number('heartbeat.timeoutMs', merged.timeoutMs, 1);
  fn('heartbeat.ping', merged.ping);
  fn('heartbeat.isPong', merged.isPong);
  return Object.freeze(merged);
}

function resolveBackoff(value: unknown): BackoffOptions {
  const merged = group<BackoffOptions>('backoff', value, DEFAULTS.backoff);
  number('backoff.initialDelayMs', merged.initialDelayMs, 0);
  number('backoff.maxDelayMs', merged.maxDelayMs, merged.initialDelayMs);
  number('backoff.factor', merged.factor, 1);
  if (!['full', 'equal', 'decorrelated', 'none'].includes(merged.jitter)) {
    invalid('backoff.jitter', "one of 'full', 'equal', 'decorrelated', 'none'", merged.jitter);
  }
  number('backoff.maxAttempts', merged.maxAttempts, 0, { integer: true, infinite: true });
  number('backoff.resetAfterMs', merged.resetAfterMs, 0);
  return Object.freeze(merged);
}

function resolveStorm(value: unknown): StormOptions | false {
  if (value === false) return false;
  const merged = group<StormOptions>('storm', value, DEFAULTS.storm);
  number('storm.maxReconnects', merged.maxReconnects, 1, { integer: true });
  number('storm.windowMs', merged.windowMs, 1);
  number('storm.cooldownMs', merged.cooldownMs, 0);
  return Object.freeze(merged);
}

function resolveSendQueue(value: unknown): SendQueueOptions | false {
  if (value === false) return false;
  const merged = group<SendQueueOptions>('sendQueue', value, DEFAULTS.sendQueue);
  number('sendQueue.maxMessages', merged.maxMessages, 1, { integer: true });
  number('sendQueue.maxAgeMs', merged.maxAgeMs, 0, { infinite: true });
  return Object.freeze(merged);
}

function resolveTopics(value: unknown): readonly string[] {
  if (value === undefined) return [];
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

function bool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(field, 'a boolean', value);
  return value as boolean;
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

function resolveAll<In, Out>(options: ResilientStreamOptions<In, Out>): ResolvedOptions<In, Out> {
  if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
  const topicStale = options.topicStaleAfterMs;
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) invalid('signal', 'an AbortSignal', options.signal);
  return Object.freeze({
    url: resolveUrl(options.url),
    protocols: options.protocols,
    WebSocket: fn('WebSocket', options.WebSocket),
    clientOptions: options.clientOptions,
    connectTimeoutMs: number('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 1),
    maxMessageBytes: number('maxMessageBytes', options.maxMessageBytes ?? DEFAULTS.maxMessageBytes, 1, { infinite: true }),
    decode: fn('decode', options.decode) ?? (defaultDecode as (data: string | Uint8Array) => In),
    encode: fn('encode', options.encode) ?? defaultEncode,
    topics: resolveTopics(options.topics),
    subscribe: fn('subscribe', options.subscribe),
    unsubscribe: fn('unsubscribe', options.unsubscribe),
    topicOf: fn('topicOf', options.topicOf),
    isData: fn('isData', options.isData),
    staleness: resolveStaleness(options.staleAfterMs),
    topicStaleAfterMs: topicStale === undefined || topicStale === false ? false : number('topicStaleAfterMs', topicStale, 1),
    heartbeat: resolveHeartbeat(options.heartbeat),
    backoff: resolveBackoff(options.backoff),
    storm: resolveStorm(options.storm),
    sequence: fn('sequence', options.sequence),
    resync: fn('resync', options.resync),
    resyncTimeoutMs: number('resyncTimeoutMs', options.resyncTimeoutMs ?? DEFAULTS.resyncTimeoutMs, 1),
    resyncBufferSize: number('resyncBufferSize', options.resyncBufferSize ?? DEFAULTS.resyncBufferSize, 1, { integer: true }),
    sendQueue: resolveSendQueue(options.sendQueue),
    shouldReconnect: fn('shouldReconnect', options.shouldReconnect) ?? defaultShouldReconnect,
    signal: options.signal,
    clock: resolveClock(options.clock),
    random: fn('random', options.random) ?? Math.random,
    reconnectOnOffline: bool('reconnectOnOffline', options.reconnectOnOffline, DEFAULTS.reconnectOnOffline),
    reconnectOnOnline: bool('reconnectOnOnline', options.reconnectOnOnline, DEFAULTS.reconnectOnOnline),
    checkOnWake: bool('checkOnWake', options.checkOnWake, DEFAULTS.checkOnWake),
    wakeJitterMs: number('wakeJitterMs', options.wakeJitterMs ?? DEFAULTS.wakeJitterMs, 0),
    iteratorBufferSize: number('iteratorBufferSize', options.iteratorBufferSize ?? DEFAULTS.iteratorBufferSize, 1, { integer: true }),
    closeTimeoutMs: number('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs, 0),
  });
}
