import type { Jitter } from './backoff.js';
import type { ResilientStreamError } from './errors.js';

/** What a `url` function is told before each dial. */
export interface AttemptContext {
  /** 0 for the first dial after `start()`, n for reconnect attempt n. */
  readonly attempt: number;
  /** True for every dial after the first. */
  readonly isReconnect: boolean;
  /** Aborts when the stream closes or gives up on this dial. */
  readonly signal: AbortSignal;
}

/** What the `subscribe` hook is told. */
export interface SubscribeContext {
  /** The topics to subscribe: all desired topics after an open, only the new ones on `subscribe()`. */
  readonly topics: string[];
  /** The dial's attempt number (see {@link AttemptContext.attempt}). */
  readonly attempt: number;
  /** True for every dial after the first. */
  readonly isReconnect: boolean;
}

/** What the `unsubscribe` hook is told. */
export interface UnsubscribeContext {
  /** The topics to drop. */
  readonly topics: string[];
}

/** Why a resync runs. */
export type ResyncReason = 'connect' | 'reconnect' | 'gap';

/** What the `resync` hook is told. */
export interface ResyncContext {
  /** `connect` after the first open, `reconnect` after later opens, `gap` after a sequence gap. */
  readonly reason: ResyncReason;
  /** The topics to resync: every desired topic, or the gapped topic alone. */
  readonly topics: string[];
  /** Aborts when the stream closes, the socket is replaced or `resyncTimeoutMs` passes. */
  readonly signal: AbortSignal;
}

/** What the `resync` hook may resolve with. */
export interface ResyncResult {
  /** The snapshot's sequence S: held messages with `last <= S` are dropped. */
  readonly sequence?: number;
  /** Per-topic snapshot sequences, when sequences are tracked per topic. */
  readonly sequences?: Readonly<Record<string, number>>;
}

/** What the `backfill` hook is told: fetch the messages numbered strictly between `after` and `before`. */
export interface BackfillContext {
  /** The gapped topic (with `topicOf`), else undefined. */
  readonly topic: string | undefined;
  /** The last delivered sequence number. */
  readonly after: number;
  /** The first held sequence number. */
  readonly before: number;
  /** Aborts on timeout (`resyncTimeoutMs`), `close()` or a replaced socket. */
  readonly signal: AbortSignal;
}

/** What a gap on one topic is answered with. */
export type GapAction = 'resync' | 'backfill' | 'skip';

/** Structured log lines: pino's and console's methods both fit (`(object, message)` or `(message, object)` is not required). */
export interface Logger {
  debug?(object: Record<string, unknown>, message: string): void;
  info?(object: Record<string, unknown>, message: string): void;
  warn?(object: Record<string, unknown>, message: string): void;
  error?(object: Record<string, unknown>, message: string): void;
}

/** What `shouldReconnect` is told about the end of a connection or a failed dial. */
export interface ShouldReconnectContext {
  /** Close code, when a close frame (or 1006) ended an open connection. */
  readonly code?: number;
  /** Close reason that came with `code`. */
  readonly reason?: string;
  /** HTTP status, when the handshake was refused. */
  readonly status?: number;
  /** The error behind the end, if any. */
  readonly error?: ResilientStreamError;
}

/** Application and protocol heartbeats. */
export interface HeartbeatOptions<In = unknown, Out = unknown> {
  /** Ping after this long with nothing at all received, in ms. @default 15_000 */
  readonly intervalMs: number;
  /** Declare the socket dead when nothing arrives this long after a ping, in ms. @default 10_000 */
  readonly timeoutMs: number;
  /** Builds an application ping, used where protocol ping frames do not exist (browsers). @default none */
  readonly ping?: () => Out;
  /** Recognises application pongs; they are consumed, not emitted. @default none */
  readonly isPong?: (message: In) => boolean;
}

/** Reconnect delays. Formulas in docs/options.md. */
export interface BackoffOptions {
  /** Cap for reconnect attempt 1, in ms. @default 500 */
  readonly initialDelayMs: number;
  /** Largest delay, in ms. @default 30_000 */
  readonly maxDelayMs: number;
  /** Growth of the cap per attempt (>= 1). @default 2 */
  readonly factor: number;
  /** Bounds the cap by the outage so far: at most this × its length, never below `initialDelayMs`. @default 3 */
  readonly outageFactor: number;
  /** How the delay is drawn below the cap. @default 'full' */
  readonly jitter: Jitter;
  /** Reconnect attempts before giving up (`failed`, RS_RETRIES_EXHAUSTED). @default Infinity */
  readonly maxAttempts: number;
  /** A connection open this long resets the attempt counter, in ms. @default 5_000 */
  readonly resetAfterMs: number;
}

/** Reconnect-storm alerts. */
export interface StormOptions {
  /** More reconnect attempts than this inside one window is a storm. @default 5 */
  readonly maxReconnects: number;
  /** Sliding window, in ms; also how long the stream must stay open to end a storm. @default 60_000 */
  readonly windowMs: number;
  /** Added to every reconnect delay while a storm lasts, in ms, to let a struggling server recover. @default 0 */
  readonly cooldownMs: number;
}

/** The outbound queue used while the socket is not open. */
export interface SendQueueOptions {
  /** Most messages kept; the oldest is dropped on overflow. @default 100 */
  readonly maxMessages: number;
  /** Messages older than this are dropped instead of sent, in ms. @default 10_000 */
  readonly maxAgeMs: number;
}

/** Learned data staleness: `multiplier` x the learned high quantile of gaps, clamped. */
export interface AdaptiveStaleness {
  readonly auto: true;
  /** Lowest threshold, in ms: a learned threshold never goes below it. @default 5_000 */
  readonly minMs?: number;
  /** Highest threshold, in ms; a gap longer than this is always stale. @default 300_000 */
  readonly maxMs?: number;
  /** Threshold = multiplier x learned quantile. @default 3 */
  readonly multiplier?: number;
  /** The quantile of inter-message gaps to learn. @default 0.99 */
  readonly quantile?: number;
  /** Gaps to observe before the learned value is trusted; until then the threshold is `maxMs`. @default 50 */
  readonly warmupSamples?: number;
}

/** Make-before-break rotation: a replacement socket is dialed and proven before the current one retires. */
export interface RotateOptions<In = unknown> {
  /** Rotate a connection once it is this old, in ms; each connection draws its point in [0.9, 1] x this. @default none */
  readonly maxAgeMs?: number;
  /** How long the replacement may take to prove overlap before the rotation fails, in ms. @default 10_000 */
  readonly overlapMs?: number;
  /** Recognises a venue's shutdown or restart notice; such a message starts a rotation. @default none */
  readonly isNotice?: (message: In) => boolean;
  /**
   * Awaited before a replacement is dialed; the function it resolves with is called once the
   * rotation is over (switched, failed or abandoned). Streams sharing one lock never rotate at
   * the same time (`StreamPool` does this). @default none
   */
  readonly acquire?: (context: { readonly signal: AbortSignal }) => Promise<() => void>;
}

/** Outbound pacing: one token bucket per connection for every frame the stream sends. */
export interface RateLimitOptions {
  /** Tokens added per second (frames per second allowed over time). */
  readonly messagesPerSecond: number;
  /** Frames that may go out at once after a quiet period. @default messagesPerSecond */
  readonly burst?: number;
  /** Whether protocol pings and the pongs answered count toward the limit (Binance counts them). @default true */
  readonly countControlFrames?: boolean;
}

/** Time source and timers; a test seam. `now()` is in ms since the epoch and must never go backwards. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A WebSocket constructor: the platform's, `ws`'s, or a test double. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: unknown) => WebSocket;

/** Options of `new ResilientStream(options)`. Durations are in milliseconds. */
export interface ResilientStreamOptions<In = unknown, Out = unknown, Data extends In = In> {
  /** Where to connect; a function is called before every dial (fresh short-lived tokens). */
  readonly url: string | URL | ((context: AttemptContext) => string | URL | Promise<string | URL>);
  /** WebSocket sub-protocols. @default none */
  readonly protocols?: string | string[];
  /** WebSocket constructor to use. @default isomorphic-ws (`ws` on Node, the global in browsers) */
  readonly WebSocket?: WebSocketConstructor;
  /** Node only: options passed to `ws` (headers, agent, TLS). @default none */
  readonly clientOptions?: Record<string, unknown>;
  /** Dial + handshake deadline; on expiry RS_CONNECT_TIMEOUT and a retry. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Larger inbound messages give RS_MESSAGE_TOO_LARGE and a fresh socket, in bytes. @default 16 MiB */
  readonly maxMessageBytes?: number;
  /** Turns a frame into a message; a throw gives RS_DECODE and the frame is skipped. @default JSON for text, Uint8Array for binary */
  readonly decode?: (data: string | Uint8Array) => In;
  /** Turns a message into a frame. @default strings and binary as-is, else JSON.stringify */
  readonly encode?: (message: Out) => string | ArrayBufferLike | ArrayBufferView;
  /** Initial desired topics. @default [] */
  readonly topics?: readonly string[];
  /** Messages sent right after every open (before queued sends) and when `subscribe()` adds topics. @default none */
  readonly subscribe?: (context: SubscribeContext) => Out | Out[] | undefined | Promise<Out | Out[] | undefined>;
  /** Messages sent when topics are dropped. @default none */
  readonly unsubscribe?: (context: UnsubscribeContext) => Out | Out[] | undefined | Promise<Out | Out[] | undefined>;
  /** The topic of a message; routes per-topic staleness and sequences. @default none */
  readonly topicOf?: (message: In) => string | undefined;
  /** Only data messages reset the staleness clock and reach `data` listeners (not heartbeats, acks, pongs); a type guard types `data`. @default every message */
  readonly isData?: ((message: In) => message is Data) | ((message: In) => boolean);
  /** No data this long while open: `stale` (kind `data`), RS_STALE, reconnect. `false` disables. @default 30_000 */
  readonly staleAfterMs?: number | false | AdaptiveStaleness;
  /** A subscribed topic silent this long is resubscribed; silent another period, the socket is recycled. @default false */
  readonly topicStaleAfterMs?: number | false;
  /** Heartbeats; `false` disables. @default {intervalMs: 15_000, timeoutMs: 10_000} */
  readonly heartbeat?: Partial<HeartbeatOptions<In, Out>> | false;
  /** Reconnect delays; missing fields take their defaults. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Reconnect-storm alerts; `false` disables. @default {maxReconnects: 5, windowMs: 60_000, cooldownMs: 0} */
  readonly storm?: Partial<StormOptions> | false;
  /** The sequence number or [first, last] range of a message; enables gap and duplicate tracking. @default none */
  readonly sequence?: (message: In) => number | readonly [first: number, last: number] | undefined;
  /** Rebuilds state after every open and on every gap, while messages are held back. @default none */
  readonly resync?: (context: ResyncContext) => ResyncResult | void | Promise<ResyncResult | void>;
  /** Fetches the messages a gap skipped (feeds without snapshots); merged in order with the held ones. @default none */
  readonly backfill?: (context: BackfillContext) => Promise<In[]> | In[];
  /** Chooses per gapped topic between `resync`, `backfill` and `skip`. @default backfill when given, else resync */
  readonly onGap?: (topic: string | undefined) => GapAction;
  /** A resync hook running longer than this fails with RS_RESYNC. @default 30_000 */
  readonly resyncTimeoutMs?: number;
  /** Most messages held back during a resync; overflow is RS_RESYNC and a reconnect. @default 10_000 */
  readonly resyncBufferSize?: number;
  /** Outbound queue while not open; `false` disables (send returns false when not open). @default {maxMessages: 100, maxAgeMs: 10_000} */
  readonly sendQueue?: Partial<SendQueueOptions> | false;
  /** Decides whether to reconnect after a close or refusal. @default false for close code 1008 and handshake status 401/403 */
  readonly shouldReconnect?: (context: ShouldReconnectContext) => boolean;
  /** Aborting it closes the stream. @default none */
  readonly signal?: AbortSignal;
  /** Make-before-break rotation by age, notice or `rotate()`; `false` disables. @default false */
  readonly rotate?: RotateOptions<In> | false;
  /** Identifies a message across sockets when there is no `sequence` (rotation overlap). @default none */
  readonly dedupeKey?: (message: In) => string | undefined;
  /** Paces every outbound frame through a per-connection token bucket; `false` disables. @default false */
  readonly rateLimit?: RateLimitOptions | false;
  /** The `subscribe`/`unsubscribe` hooks get at most this many topics per call. @default Infinity */
  readonly maxTopicsPerMessage?: number;
  /** Time source and timers (test seam). @default the platform's monotonic clock and timers */
  readonly clock?: Clock;
  /** Uniform random in [0, 1) for jitter (test seam). @default Math.random */
  readonly random?: () => number;
  /** Browsers: going offline drops the socket and waits for `online`. @default true */
  readonly reconnectOnOffline?: boolean;
  /** Browsers: coming online or waking dials at once (after up to `wakeJitterMs`). @default true */
  readonly reconnectOnOnline?: boolean;
  /** Browsers: a page becoming visible re-checks liveness deadlines at once. @default true */
  readonly checkOnWake?: boolean;
  /** Upper bound of the uniform delay before dialing on `online`, so a fleet does not dial at once. @default 1_000 */
  readonly wakeJitterMs?: number;
  /** Messages an async iterator may buffer for a slow consumer before it pauses the stream (or fails, see `iteratorOverflow`). @default 10_000 */
  readonly iteratorBufferSize?: number;
  /** What a full iterator buffer does: `pause` the stream until drained, or end with RS_ITERATOR_OVERFLOW. @default 'pause' */
  readonly iteratorOverflow?: 'pause' | 'error';
  /** Structured lines for state changes, dials, stale, resync, storms, rotations and errors (urls redacted). @default silent */
  readonly logger?: Logger;
  /** How long `close()` waits for the server's close frame before cutting the socket. @default 2_000 */
  readonly closeTimeoutMs?: number;
}
