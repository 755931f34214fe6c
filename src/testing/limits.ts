import { TokenBucket } from '../token-bucket.js';
import type { FeedConnection } from './connection.js';
import type { ResolvedFeedServerLimits } from './options.js';

/** Binance's close for a client that sends too fast: policy violation, "Too many requests". */
const TOO_FAST = { code: 1008, reason: 'Too many requests' } as const;

/** What the gateway answers an upgrade request over the dial rate. */
export interface DialRefusal {
  readonly status: 429;
  readonly headers: Record<string, string>;
  readonly message: string;
}

/**
 * The venue limits of the `limits` option, enforced the way venues answer: a connection closed at
 * its age limit, a connection closed 1008 for sending too fast, a subscribe refused for too many
 * topics, a handshake refused 429 for dialing too fast. The gateway asks; this decides and, for
 * the per-connection limits, acts. Counting is per connection (messages, topics) and server-wide
 * (dials), as a venue counts per connection and per IP.
 */
export class FeedLimits {
  readonly #limits: ResolvedFeedServerLimits;
  readonly #dials: TokenBucket | undefined;

  constructor(limits: ResolvedFeedServerLimits, now: number) {
    this.#limits = limits;
    this.#dials = limits.dialsPerSecond === undefined ? undefined : new TokenBucket(limits.dialsPerSecond, limits.dialBurst, now);
  }

  /** Counts one upgrade request; the refusal to send when it is over the dial rate (then nothing is counted). */
  admitDial(now: number): DialRefusal | undefined {
    const dials = this.#dials;
    if (dials === undefined || dials.take(now)) return undefined;
    const retryAfterS = Math.max(1, Math.ceil(dials.waitMs(now) / 1000));
    const message = `Too many connection attempts: at most ${this.#limits.dialsPerSecond} per second; retry after ${retryAfterS} s.`;
    return { status: 429, headers: { 'Retry-After': String(retryAfterS) }, message };
  }

  /** Why holding `adding` as well as what `connection` holds (none for a new one) passes the topic limit; undefined when it does not. */
  refuseTopics(connection: FeedConnection | undefined, adding: readonly string[]): string | undefined {
    const max = this.#limits.maxTopicsPerConnection;
    if (max === undefined) return undefined;
    const held = new Set(connection?.topics());
    const before = held.size;
    for (const topic of adding) held.add(topic);
    if (held.size <= max) return undefined;
    return `Too many streams: this connection holds ${before} of at most ${max}; subscribing ${held.size - before} more is refused.`;
  }

  /** Starts enforcing the per-connection limits on a new connection; undefined when none is set. */
  watch(connection: FeedConnection): ConnectionLimiter | undefined {
    const { maxConnectionAgeMs, inboundMessagesPerSecond } = this.#limits;
    if (maxConnectionAgeMs === undefined && inboundMessagesPerSecond === undefined) return undefined;
    return new ConnectionLimiter(connection, this.#limits);
  }
}

/** The age timer and the inbound message bucket of one connection. */
export class ConnectionLimiter {
  readonly #connection: FeedConnection;
  readonly #countsControlFrames: boolean;
  readonly #inbound: TokenBucket | undefined;
  readonly #ageTimer: ReturnType<typeof setTimeout> | undefined;
  #isOver = false;

  constructor(connection: FeedConnection, limits: ResolvedFeedServerLimits) {
    this.#connection = connection;
    this.#countsControlFrames = limits.countControlFrames;
    const { maxConnectionAgeMs, ageClose, inboundMessagesPerSecond } = limits;
    const openedAt = connection.info.openedAt;
    if (inboundMessagesPerSecond !== undefined) this.#inbound = new TokenBucket(inboundMessagesPerSecond, limits.inboundBurst, openedAt);
    if (maxConnectionAgeMs !== undefined) {
      this.#ageTimer = setTimeout(() => connection.close(ageClose.code, ageClose.reason), Math.max(0, openedAt + maxConnectionAgeMs - Date.now()));
    }
  }

  /**
   * Counts one client message. False when it is over the rate: the connection is then being closed
   * 1008 "Too many requests", and neither this message nor any later one is answered.
   */
  admit(now: number): boolean {
    if (this.#isOver) return false;
    if (this.#inbound === undefined || this.#inbound.take(now)) return true;
    this.#isOver = true;
    this.#connection.close(TOO_FAST.code, TOO_FAST.reason);
    return false;
  }

  /** Counts a client ping or pong frame, when `countControlFrames` says they count. */
  controlFrame(now: number): void {
    if (this.#countsControlFrames) this.admit(now);
  }

  /** Stops the age timer (the connection closed). */
  dispose(): void {
    clearTimeout(this.#ageTimer);
  }
}
