import { MAX_DURATION_MS } from '../validate.js';
import { FEED_DIALECTS, type FeedDialect } from './dialect.js';

/** Options of {@link createFeedServer}. Every field is optional. */
export interface FeedServerOptions {
  /** TCP port to listen on; `0` lets the OS pick a free one (read it back from `feed.port`). @default 0 */
  port?: number;
  /** Interface to bind; keep the loopback default unless another machine must connect. @default '127.0.0.1' */
  host?: string;
  /** Wire protocol: the generic `'json'` dialect or a Binance-spot look-alike. @default 'json' */
  dialect?: FeedDialect;
  /** Data messages per second for each topic with at least one subscriber; `0` sends only what `publish()` sends. @default 10 */
  messagesPerSecond?: number;
  /** Interval of app-level heartbeat messages to every connection, in ms, or `false` for none. @default false */
  heartbeatIntervalMs?: number | false;
  /** Interval of protocol ping frames to every connection, in ms (Binance: 20000), or `false` for none. @default false */
  pingIntervalMs?: number | false;
  /** The only topics that exist; subscribing to another is answered with an error. `undefined` lets any topic exist. @default undefined */
  topics?: readonly string[];
  /** When `true`, data flows only for subscribed topics; when `false`, every connection gets every known topic. @default true */
  requireSubscribe?: boolean;
  /** Delay before the Binance REST snapshot is answered, in ms (the book is read when the request arrives). @default 0 */
  snapshotDelayMs?: number;
  /** Seed of the generator behind prices, quantities and book changes: same seed, same feed. @default 1 */
  seed?: number;
  /** Most entries kept in `feed.received` and in each topic's `feed.published()`; the oldest go first. @default 10000 */
  historyLimit?: number;
  /** Venue limits the server enforces, answered the way venues answer (docs/testing.md, "Limits"). @default {} (none) */
  limits?: FeedServerLimits;
}

/**
 * Limits a venue enforces, each answered the way venues answer. Every field is optional; an
 * absent one is not enforced. Rates are token buckets that start full.
 */
export interface FeedServerLimits {
  /** Each connection is closed this long after it opened, in ms (Binance: 24 h), with `ageClose`. @default none */
  maxConnectionAgeMs?: number;
  /** The close frame sent at `maxConnectionAgeMs`. @default {code: 1001, reason: 'Connection age limit reached'} */
  ageClose?: { code?: number; reason?: string };
  /** Client messages per second per connection; one more closes it with 1008 "Too many requests" (Binance: 5). @default none */
  inboundMessagesPerSecond?: number;
  /** Client messages a connection may send at once after a quiet period. @default inboundMessagesPerSecond (at least 1) */
  inboundBurst?: number;
  /** Whether client ping and pong frames count toward `inboundMessagesPerSecond` (Binance counts them). @default true */
  countControlFrames?: boolean;
  /** Topics one connection may hold; a subscribe that would pass it is refused whole with the dialect's error (Binance: 1024). @default none */
  maxTopicsPerConnection?: number;
  /** WebSocket upgrade requests per second, server-wide; one more is answered 429 with `Retry-After`. @default none */
  dialsPerSecond?: number;
  /** Upgrade requests accepted at once after a quiet period. @default dialsPerSecond (at least 1) */
  dialBurst?: number;
}

/** Limits after defaults: `undefined` means not enforced. */
export interface ResolvedFeedServerLimits {
  readonly maxConnectionAgeMs: number | undefined;
  readonly ageClose: { readonly code: number; readonly reason: string };
  readonly inboundMessagesPerSecond: number | undefined;
  readonly inboundBurst: number;
  readonly countControlFrames: boolean;
  readonly maxTopicsPerConnection: number | undefined;
  readonly dialsPerSecond: number | undefined;
  readonly dialBurst: number;
}

/** Options after defaults are applied and every value is checked. */
export interface ResolvedFeedServerOptions {
  readonly port: number;
  readonly host: string;
  readonly dialect: FeedDialect;
  readonly messagesPerSecond: number;
  readonly heartbeatIntervalMs: number | false;
  readonly pingIntervalMs: number | false;
  readonly topics: readonly string[] | undefined;
  readonly requireSubscribe: boolean;
  readonly snapshotDelayMs: number;
  readonly seed: number;
  readonly historyLimit: number;
  readonly limits: ResolvedFeedServerLimits;
}

/** The defaults of every {@link FeedServerOptions} field. */
export const FEED_SERVER_DEFAULTS: ResolvedFeedServerOptions = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  dialect: 'json',
  messagesPerSecond: 10,
  heartbeatIntervalMs: false,
  pingIntervalMs: false,
  topics: undefined,
  requireSubscribe: true,
  snapshotDelayMs: 0,
  seed: 1,
  historyLimit: 10_000,
  limits: resolveLimits({}),
});

/**
 * Merges options over {@link FEED_SERVER_DEFAULTS} and validates them.
 * @throws TypeError naming the field and the value when one is invalid.
 */
export function resolveFeedServerOptions(options: FeedServerOptions = {}): ResolvedFeedServerOptions {
  const merged = { ...FEED_SERVER_DEFAULTS, ...stripUndefined(options) };
  check('port', merged.port, Number.isInteger(merged.port) && merged.port >= 0 && merged.port <= 65535, 'an integer from 0 to 65535');
  check('host', merged.host, typeof merged.host === 'string' && merged.host.length > 0, 'a non-empty string');
  check('dialect', merged.dialect, FEED_DIALECTS.includes(merged.dialect), `one of ${FEED_DIALECTS.map((name) => `'${name}'`).join(', ')}`);
  check('messagesPerSecond', merged.messagesPerSecond, isFiniteAtLeast(merged.messagesPerSecond, 0), 'a finite number >= 0');
  check('heartbeatIntervalMs', merged.heartbeatIntervalMs, isInterval(merged.heartbeatIntervalMs), 'false or a finite number > 0');
  check('pingIntervalMs', merged.pingIntervalMs, isInterval(merged.pingIntervalMs), 'false or a finite number > 0');
  const topicsOk = merged.topics === undefined || (Array.isArray(merged.topics) && merged.topics.every((t) => typeof t === 'string'));
  check('topics', merged.topics, topicsOk, 'undefined or an array of strings');
  check('requireSubscribe', merged.requireSubscribe, typeof merged.requireSubscribe === 'boolean', 'a boolean');
  check('snapshotDelayMs', merged.snapshotDelayMs, isFiniteAtLeast(merged.snapshotDelayMs, 0), 'a finite number >= 0');
  check('seed', merged.seed, Number.isInteger(merged.seed), 'an integer');
  check('historyLimit', merged.historyLimit, Number.isInteger(merged.historyLimit) && merged.historyLimit > 0, 'an integer > 0');
  const limits = options.limits === undefined ? FEED_SERVER_DEFAULTS.limits : resolveLimits(options.limits);
  return Object.freeze({ ...merged, limits, topics: merged.topics ? Object.freeze([...merged.topics]) : undefined });
}

/** Checks `limits` and applies its defaults; field names in messages are prefixed `limits.`. */
function resolveLimits(limits: FeedServerLimits): ResolvedFeedServerLimits {
  check('limits', limits, typeof limits === 'object' && limits !== null && !Array.isArray(limits), 'an object');
  const { maxConnectionAgeMs, ageClose = {}, inboundMessagesPerSecond, countControlFrames = true, maxTopicsPerConnection, dialsPerSecond } = limits;
  const rate = (field: string, value: unknown): void => check(`limits.${field}`, value, value === undefined || (isFiniteAtLeast(value, 0) && (value as number) > 0), 'a finite number > 0');
  const ageOk = maxConnectionAgeMs === undefined || (isFiniteAtLeast(maxConnectionAgeMs, 1) && maxConnectionAgeMs <= MAX_DURATION_MS);
  check('limits.maxConnectionAgeMs', maxConnectionAgeMs, ageOk, `a number of ms from 1 to ${MAX_DURATION_MS}`);
  rate('inboundMessagesPerSecond', inboundMessagesPerSecond);
  rate('dialsPerSecond', dialsPerSecond);
  const inboundBurst = limits.inboundBurst ?? Math.max(1, inboundMessagesPerSecond ?? 1);
  const dialBurst = limits.dialBurst ?? Math.max(1, dialsPerSecond ?? 1);
  check('limits.inboundBurst', inboundBurst, isFiniteAtLeast(inboundBurst, 1), 'a finite number >= 1');
  check('limits.dialBurst', dialBurst, isFiniteAtLeast(dialBurst, 1), 'a finite number >= 1');
  check('limits.countControlFrames', countControlFrames, typeof countControlFrames === 'boolean', 'a boolean');
  const topicsOk = maxTopicsPerConnection === undefined || (Number.isInteger(maxTopicsPerConnection) && maxTopicsPerConnection >= 1);
  check('limits.maxTopicsPerConnection', maxTopicsPerConnection, topicsOk, 'an integer >= 1');
  check('limits.ageClose', ageClose, typeof ageClose === 'object' && ageClose !== null, 'an object');
  const { code = 1001, reason = 'Connection age limit reached' } = ageClose;
  check('limits.ageClose.code', code, isSendableCloseCode(code), 'a close code from 1000-1003, 1007-1014 or 3000-4999');
  check('limits.ageClose.reason', reason, typeof reason === 'string' && Buffer.byteLength(reason) <= 123, 'a string of at most 123 bytes');
  return Object.freeze({
    maxConnectionAgeMs, ageClose: Object.freeze({ code, reason }), inboundMessagesPerSecond, inboundBurst,
    countControlFrames, maxTopicsPerConnection, dialsPerSecond, dialBurst,
  });
}

/** Close codes a server may put in a close frame (RFC 6455 section 7.4; 1004-1006 and 1015 are reserved). */
export function isSendableCloseCode(code: unknown): boolean {
  if (typeof code !== 'number' || !Number.isInteger(code)) return false;
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** Throws the house-style message: which field, what was expected, what was got. */
export function check(field: string, value: unknown, ok: boolean, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${field}\` to be ${expected}, got ${describe(value)}.`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function isFiniteAtLeast(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min;
}

function isInterval(value: unknown): boolean {
  return value === false || (isFiniteAtLeast(value, 0) && (value as number) > 0);
}

function stripUndefined(options: FeedServerOptions): FeedServerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
