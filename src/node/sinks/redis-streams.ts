import { toRange } from '../../sequence.js';
import { check, checkFunction, checkOptions, show } from '../check-options.js';
import { encodeAll, type Sink } from './sink.js';

/** A queued transaction, as node-redis's `client.multi()` gives it. */
export interface RedisStreamsMulti {
  addCommand(args: string[]): unknown;
  exec(): Promise<unknown[]>;
}

/**
 * The part of a Redis client the sink uses: node-redis (`redis` 4 or 5) clients have it. Pass
 * your own connected client as `client`, or let the sink create one from `url`.
 */
export interface RedisStreamsClient {
  multi(): RedisStreamsMulti;
}

/** Options of {@link redisStreamsSink}. */
export interface RedisStreamsSinkOptions<In> {
  /** The stream key: fixed, or per message (for example one key per topic). */
  readonly key: string | ((message: In) => string);
  /** Where to connect when no `client` is given; the sink creates, owns and closes that client. @default 'redis://127.0.0.1:6379' */
  readonly url?: string;
  /** A connected node-redis client to use instead; the sink never closes it. @default none */
  readonly client?: RedisStreamsClient;
  /** Approximate cap of each stream (`XADD … MAXLEN ~ n`); `false` never trims. @default 1_000_000 */
  readonly maxLen?: number | false;
  /**
   * The message's sequence number, or its [first, last] range (the stream's own `sequence`
   * option fits): entries get the id `<last>-0`, so a message written twice is rejected by Redis
   * and counted as a duplicate. The sequence must grow within each key. @default none (ids `*`)
   */
  readonly sequence?: (message: In) => number | readonly [first: number, last: number] | undefined;
  /** A whole entry id `<ms>-<n>` per message, instead of `sequence`; same duplicate rule. @default none */
  readonly idOf?: (message: In) => string | undefined;
  /** The entry's field name. @default 'data' */
  readonly field?: string;
  /** The entry's value. @default JSON.stringify */
  readonly encode?: (message: In) => string;
}

/** What the Redis Streams sink has done so far. */
export interface RedisStreamsSinkStats {
  /** Entries added. */
  readonly written: number;
  /** Messages Redis refused because an entry with that id (or a later one) exists: already written. */
  readonly duplicates: number;
  /** Messages without an id (`sequence` or `idOf` gave undefined), left out: they could not be written once. */
  readonly skipped: number;
}

/** The Redis Streams sink: a {@link Sink} plus its counters. */
export interface RedisStreamsSink<In> extends Sink<In> {
  readonly stats: RedisStreamsSinkStats;
  close(): Promise<void>;
}

/** What Redis answers to XADD with an id not above the stream's last id. */
const DUPLICATE_ID = /equal or smaller than the target stream top item/i;
const ENTRY_ID = /^\d+-\d+$/;
const KNOWN_OPTIONS: readonly string[] = ['key', 'url', 'client', 'maxLen', 'sequence', 'idOf', 'field', 'encode'];

/**
 * A sink that appends each message to a Redis stream with `XADD`, one `MULTI` transaction per
 * batch (so a batch is written whole or, on a lost connection, not at all). With `sequence` or
 * `idOf` each entry gets an explicit id; Redis rejects an id lower than or equal to the stream's
 * last one, and the sink counts that as "already written": a retried batch, a replay after a
 * reconnect resync or a rotation overlap never adds an entry twice. Without them, ids are `*`
 * and a retried batch may repeat entries (at-least-once).
 *
 * Every message is encoded before the transaction is sent: one whose id or value cannot be made
 * (`sequence` gives NaN or a string, `idOf` a malformed id, `encode` throws on a BigInt, `key`
 * throws) fails the batch with `UnwritableMessagesError` naming it, and `pipeTo` writes the rest
 * without it.
 *
 * The `redis` package (node-redis) is an optional peer dependency, loaded only when the sink
 * creates its own client. With Redis Cluster, keys of one batch must share a hash tag
 * (`{feed}:btcusdt`), since a transaction cannot span slots.
 * @throws TypeError for a bad option, naming it.
 */
export function redisStreamsSink<In = unknown>(options: RedisStreamsSinkOptions<In>): RedisStreamsSink<In> {
  checkOptions('options', options, KNOWN_OPTIONS);
  const { key, url = 'redis://127.0.0.1:6379', client: given, maxLen = 1_000_000, sequence, idOf, field = 'data', encode = JSON.stringify } = options;
  check('key', key, typeof key === 'function' || (typeof key === 'string' && key.length > 0), 'a non-empty string or a function');
  check('url', url, typeof url === 'string' && url.length > 0, 'a non-empty string');
  const isClient = given === undefined || (typeof given === 'object' && given !== null && typeof given.multi === 'function');
  check('client', given, isClient, 'a connected node-redis client (with multi())');
  check('maxLen', maxLen, maxLen === false || (Number.isInteger(maxLen) && maxLen > 0), 'false or an integer > 0');
  for (const [name, value] of [['sequence', sequence], ['idOf', idOf], ['encode', encode]] as const) checkFunction(name, value);
  check('sequence', sequence, sequence === undefined || idOf === undefined, 'undefined when `idOf` is given (use one)');
  check('field', field, typeof field === 'string' && field.length > 0, 'a non-empty string');
  const stats = { written: 0, duplicates: 0, skipped: 0 };
  let owned: Promise<OwnedClient> | undefined;
  let closed = false;

  const idFor = (message: In): string | undefined => {
    if (idOf !== undefined) {
      const id: unknown = idOf(message);
      if (id !== undefined && (typeof id !== 'string' || !ENTRY_ID.test(id))) throw new TypeError(`Expected idOf() to give an entry id like "1700000000000-0", got ${show(id)}.`);
      return id;
    }
    if (sequence === undefined) return '*';
    const value: unknown = sequence(message);
    const range = toRange(value);
    if (range === undefined) return undefined;
    if (range === 'invalid' || range[1] < 0) throw new TypeError(`Expected sequence() to give a safe integer >= 0 or a [first, last] pair, got ${show(value)}.`);
    // Redis reserves 0-0.
    return range[1] === 0 ? '0-1' : `${range[1]}-0`;
  };

  /** XADD's arguments for a message, or undefined when it has no id (skipped); throws when it cannot be written. */
  const entryFor = (message: In): string[] | undefined => {
    const id = idFor(message);
    if (id === undefined) return undefined;
    const stream: unknown = typeof key === 'string' ? key : key(message);
    if (typeof stream !== 'string' || stream === '') throw new TypeError(`Expected key() to give a non-empty string, got ${show(stream)}.`);
    const value: unknown = encode(message);
    if (typeof value !== 'string') throw new TypeError(`Expected encode() to give a string, got ${show(value)}.`);
    return ['XADD', stream, ...(maxLen === false ? [] : ['MAXLEN', '~', String(maxLen)]), id, field, value];
  };

  const client = async (): Promise<RedisStreamsClient> => {
    if (given !== undefined) return given;
    owned ??= connect(url).catch((error: unknown) => {
      owned = undefined;
      throw error;
    });
    return owned;
  };

  return {
    stats,
    async write(batch) {
      if (closed) throw new Error('Expected an open Redis Streams sink, got one that was closed.');
      // Everything is encoded before the transaction is built: a message that cannot be is named
      // in an UnwritableMessagesError while nothing of the batch is sent.
      const entries = encodeAll(batch, entryFor);
      const commands = entries.filter((entry) => entry !== undefined);
      if (commands.length > 0) {
        const multi = (await client()).multi();
        for (const args of commands) multi.addCommand(args);
        countReplies(await execReplies(multi), stats);
      }
      // Counted once the batch is through, so a retried batch does not count them again.
      stats.skipped += entries.length - commands.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      const current = owned;
      owned = undefined;
      if (current !== undefined) await (await current.catch(() => undefined))?.close();
    },
  };
}

/** EXEC's replies; node-redis rejects with a MultiErrorReply carrying them when any command failed. */
async function execReplies(multi: RedisStreamsMulti): Promise<unknown[]> {
  try {
    return await multi.exec();
  } catch (error) {
    const replies = (error as { replies?: unknown }).replies;
    if (Array.isArray(replies)) return replies;
    throw error;
  }
}

/** Counts entries added and duplicates; throws the first other error (the batch is retried). */
function countReplies(replies: unknown[], stats: { written: number; duplicates: number }): void {
  let failure: Error | undefined;
  for (const reply of replies) {
    if (!(reply instanceof Error)) stats.written++;
    else if (DUPLICATE_ID.test(reply.message)) stats.duplicates++;
    else failure ??= reply;
  }
  if (failure !== undefined) throw failure;
}

interface OwnedClient extends RedisStreamsClient {
  close(): Promise<unknown>;
}

/** Creates and connects a node-redis client; `redis` is imported only now (an optional peer). */
async function connect(url: string): Promise<OwnedClient> {
  let redis: typeof import('redis');
  try {
    redis = await import('redis');
  } catch (cause) {
    throw new Error('Expected the optional peer dependency `redis` (node-redis) for redisStreamsSink({ url }); install it with `npm install redis`, or pass `client`.', { cause });
  }
  let isConnected = false;
  // Writes fail fast while disconnected (pipeTo retries them with backoff) instead of queueing.
  // A first connection that fails rejects this write; a connection lost later is redialed.
  const reconnectStrategy = (retries: number, cause: Error): number | Error => (isConnected ? Math.min(50 * 2 ** retries, 2_000) : cause);
  const client = redis.createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 5_000, reconnectStrategy } });
  // node-redis reconnects by itself; without a listener an `error` event would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    isConnected = true;
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw error;
  }
  return {
    multi: () => client.multi(),
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
