import type { FeedDialect } from './dialect.js';

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
});

/**
 * Merges options over {@link FEED_SERVER_DEFAULTS} and validates them.
 * @throws TypeError naming the field and the value when one is invalid.
 */
export function resolveFeedServerOptions(options: FeedServerOptions = {}): ResolvedFeedServerOptions {
  const merged = { ...FEED_SERVER_DEFAULTS, ...stripUndefined(options) };
  check('port', merged.port, Number.isInteger(merged.port) && merged.port >= 0 && merged.port <= 65535, 'an integer from 0 to 65535');
  check('host', merged.host, typeof merged.host === 'string' && merged.host.length > 0, 'a non-empty string');
  check('dialect', merged.dialect, merged.dialect === 'json' || merged.dialect === 'binance', "'json' or 'binance'");
  check('messagesPerSecond', merged.messagesPerSecond, isFiniteAtLeast(merged.messagesPerSecond, 0), 'a finite number >= 0');
  check('heartbeatIntervalMs', merged.heartbeatIntervalMs, isInterval(merged.heartbeatIntervalMs), 'false or a finite number > 0');
  check('pingIntervalMs', merged.pingIntervalMs, isInterval(merged.pingIntervalMs), 'false or a finite number > 0');
  const topicsOk = merged.topics === undefined || (Array.isArray(merged.topics) && merged.topics.every((t) => typeof t === 'string'));
  check('topics', merged.topics, topicsOk, 'undefined or an array of strings');
  check('requireSubscribe', merged.requireSubscribe, typeof merged.requireSubscribe === 'boolean', 'a boolean');
  check('snapshotDelayMs', merged.snapshotDelayMs, isFiniteAtLeast(merged.snapshotDelayMs, 0), 'a finite number >= 0');
  check('seed', merged.seed, Number.isInteger(merged.seed), 'an integer');
  check('historyLimit', merged.historyLimit, Number.isInteger(merged.historyLimit) && merged.historyLimit > 0, 'an integer > 0');
  return Object.freeze({ ...merged, topics: merged.topics ? Object.freeze([...merged.topics]) : undefined });
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
