import type { FeedConnection } from './connection.js';
import type { Dialect } from './dialect.js';
import type { FeedFaults } from './faults.js';
import { History } from './history.js';
import type { ResolvedFeedServerOptions } from './options.js';
import { RateCredit, tickIntervalMs } from './rate.js';

/** What the publisher needs from the server. */
export interface PublisherHost {
  readonly options: ResolvedFeedServerOptions;
  readonly dialect: Dialect;
  readonly faults: FeedFaults;
  connections(): Iterable<FeedConnection>;
}

interface SourceRecord {
  /** The name used for connections that receive the source without subscribing. */
  readonly name: string;
  readonly published: History<object>;
  /** Every generated message, gap-lost ones included: what the history routes serve. */
  readonly generated: History<object>;
  last: object | undefined;
}

/**
 * Generates and delivers everything the server sends on its own: data (one interval timer for
 * the whole server, bursts when the rate outruns the tick), app heartbeats and protocol pings.
 * Knows which topics exist and what was published on each.
 */
export class Publisher {
  readonly #host: PublisherHost;
  readonly #sources = new Map<string, SourceRecord>();
  readonly #allowed: Set<string> | undefined;
  #dataTimer: ReturnType<typeof setInterval> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #credit: RateCredit | undefined;
  #started = false;

  /** @throws TypeError when a configured topic is malformed for the dialect. */
  constructor(host: PublisherHost) {
    this.#host = host;
    const { topics } = host.options;
    this.#allowed = topics ? new Set(topics.map((topic) => host.dialect.sourceOf(topic))) : undefined;
    for (const topic of topics ?? []) this.register(topic);
  }

  /** Every known source: configured, subscribed to or published. */
  sources(): string[] {
    return [...this.#sources.keys()];
  }

  /**
   * Makes a topic exist and returns its source.
   * @throws TypeError when the name is malformed or not among the configured `topics`.
   */
  register(topic: string): string {
    const source = this.#host.dialect.sourceOf(topic);
    if (this.#allowed && !this.#allowed.has(source)) {
      const known = [...this.#allowed].join(', ');
      throw new TypeError(`Expected one of the configured topics (${known}), got ${JSON.stringify(topic)}.`);
    }
    if (!this.#sources.has(source)) {
      const { historyLimit } = this.#host.options;
      this.#sources.set(source, { name: topic, published: new History(historyLimit), generated: new History(historyLimit), last: undefined });
    }
    return source;
  }

  /** Generates one message of the topic now and delivers it (unless faults withhold it). */
  publish(topic: string, override?: unknown): object {
    return this.#emit(this.register(topic), override);
  }

  /** The messages published on a topic, oldest first (duplicates counted once, gap-skipped ones absent). */
  published(topic: string): readonly object[] {
    const record = this.#sources.get(this.#host.dialect.sourceOf(topic));
    return record ? [...record.published.items] : [];
  }

  /**
   * Every generated message of a topic, oldest first, gap-lost ones included (an exchange's
   * history has what its socket lost); undefined for a topic that never existed. About the newest
   * `historyLimit` are kept. The history routes read it.
   */
  history(topic: string): readonly object[] | undefined {
    return this.#sources.get(this.#host.dialect.sourceOf(topic))?.generated.items;
  }

  /** How many messages a source ever published. */
  publishedCount(source: string): number {
    return this.#sources.get(source)?.published.total ?? 0;
  }

  /** Resends the last message of each source; returns the frames sent. */
  duplicate(sources: Iterable<string>): number {
    let frames = 0;
    for (const source of sources) {
      const last = this.#sources.get(source)?.last;
      if (last) frames += this.#deliver(source, last);
    }
    return frames;
  }

  /** The connections that would receive a source now (frozen and muted ones included). */
  subscribersOf(source: string): FeedConnection[] {
    const all = [...this.#host.connections()];
    return this.#host.options.requireSubscribe ? all.filter((c) => c.hasSource(source)) : all;
  }

  /** Sends a control message (heartbeat, notice) to every connection that is not frozen. */
  broadcast(message: object): void {
    const text = JSON.stringify(message);
    for (const connection of this.#host.connections()) connection.send(text);
  }

  /** Forgets what was published (positions and last messages are kept). */
  clearHistory(): void {
    for (const record of this.#sources.values()) record.published.clear();
  }

  /** Starts the data, heartbeat and ping timers. */
  start(): void {
    const { messagesPerSecond, pingIntervalMs } = this.#host.options;
    this.#started = true;
    if (messagesPerSecond > 0 && !this.#dataTimer) {
      this.#credit = new RateCredit(messagesPerSecond, Date.now());
      this.#dataTimer = setInterval(() => this.#onDataTick(), tickIntervalMs(messagesPerSecond));
    }
    if (pingIntervalMs !== false && !this.#pingTimer) {
      this.#pingTimer = setInterval(() => {
        for (const connection of this.#host.connections()) connection.ping();
      }, pingIntervalMs);
    }
    this.heartbeatsChanged();
  }

  /** Stops every timer. */
  stop(): void {
    this.#started = false;
    clearInterval(this.#dataTimer);
    clearInterval(this.#pingTimer);
    clearInterval(this.#heartbeatTimer);
    this.#dataTimer = this.#pingTimer = this.#heartbeatTimer = undefined;
  }

  /** Re-arms the heartbeat timer after heartbeatsOnly() changes the interval. */
  heartbeatsChanged(): void {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    const intervalMs = this.#host.faults.forcedHeartbeatMs ?? this.#host.options.heartbeatIntervalMs;
    // While stopped (before listen, between stop() and restart()) nobody is there to hear it.
    if (intervalMs === false || !this.#started) return;
    this.#heartbeatTimer = setInterval(() => this.#onHeartbeatTick(), intervalMs);
  }

  #onDataTick(): void {
    const count = this.#credit?.take(Date.now()) ?? 0;
    if (count === 0) return;
    for (const source of this.#sources.keys()) {
      if (this.subscribersOf(source).length === 0) continue;
      for (let i = 0; i < count; i += 1) this.#emit(source);
    }
  }

  #onHeartbeatTick(): void {
    const { faults } = this.#host;
    // A plain stall silences heartbeats too; heartbeatsOnly() forces them through.
    if (faults.stalled && faults.forcedHeartbeatMs === undefined) return;
    this.broadcast(this.#host.dialect.heartbeat(Date.now()));
  }

  #emit(source: string, override?: unknown): object {
    const { dialect, faults } = this.#host;
    const now = Date.now();
    const record = this.#sources.get(source);
    // A gap loses messages upstream: they advance the sequence (and the book) but never leave.
    for (let skip = faults.takeGap(source); skip > 0; skip -= 1) {
      const lost = dialect.next(source, now);
      record?.generated.push(lost);
    }
    const payload = dialect.next(source, now, override);
    if (record) {
      record.last = payload;
      record.published.push(payload);
      record.generated.push(payload);
    }
    this.#deliver(source, payload);
    return payload;
  }

  /** Sends a payload to every subscriber of its source; returns the frames sent. */
  #deliver(source: string, payload: object): number {
    const { dialect, faults, options } = this.#host;
    if (faults.stalled) return 0;
    const fallbackName = this.#sources.get(source)?.name ?? source;
    const texts = new Map<string, string>();
    let frames = 0;
    for (const connection of this.#host.connections()) {
      const subscribed = connection.hasSource(source);
      if (!subscribed && options.requireSubscribe) continue;
      const streams = subscribed ? connection.streamsOf(source) : [fallbackName];
      for (const stream of streams) {
        // Serialise once per stream name and wrapper, not once per connection.
        const key = `${connection.combined ? 'c' : 'r'}|${stream}`;
        let text = texts.get(key);
        if (text === undefined) {
          text = JSON.stringify(dialect.wrap(stream, payload, connection.combined));
          texts.set(key, text);
        }
        if (connection.send(text)) frames += 1;
      }
    }
    return frames;
  }
}
