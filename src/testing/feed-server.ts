import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo, FeedConnection } from './connection.js';
import type { Dialect } from './dialect.js';
import { FeedFaults, type FaultHost, type StopOptions } from './faults.js';
import type { FeedServerEvents, FeedServerState, ReceivedMessage } from './events.js';
import { Gateway } from './gateway.js';
import { handleHttp, type HttpHost } from './http-routes.js';
import { createDialect } from './dialects/index.js';
import { FeedLimits } from './limits.js';
import { resolveFeedServerOptions, type FeedServerOptions, type ResolvedFeedServerOptions } from './options.js';
import type { BookSnapshot } from './order-book.js';
import { Publisher } from './publisher.js';
import { seededRandom } from './random.js';
import { Waiters } from './wait.js';

/** Interval of the heartbeats heartbeatsOnly() forces on when `heartbeatIntervalMs` is false (Kraken sends about one a second). */
const DEFAULT_FORCED_HEARTBEAT_MS = 1000;

/** How long stop({ code }) waits for clients to answer the close frame before cutting them off. */
const GRACEFUL_CLOSE_MS = 1000;

/**
 * A WebSocket market-data feed with fault injection, for tests, demos and benchmarks.
 * Create it with {@link createFeedServer}; inject faults through `feed.faults` or over HTTP.
 */
export class FeedServer extends EventEmitter<FeedServerEvents> {
  /** The options in force, defaults applied. */
  readonly options: ResolvedFeedServerOptions;
  /** Fault injection: every method is one production failure. */
  readonly faults: FeedFaults;
  readonly #dialect: Dialect;
  readonly #publisher: Publisher;
  readonly #gateway: Gateway;
  readonly #http: Server;
  readonly #waiters = new Waiters();
  readonly #deferred = new Set<ReturnType<typeof setTimeout>>();
  #port: number;
  #listening = false;
  #closing: Promise<void> | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  /** @internal Use {@link createFeedServer}, which also starts listening. */
  constructor(options: FeedServerOptions = {}) {
    super();
    this.options = resolveFeedServerOptions(options);
    this.#port = this.options.port;
    const random = seededRandom(this.options.seed);
    this.#dialect = createDialect(this.options.dialect, random);
    const { heartbeatIntervalMs } = this.options;
    this.faults = new FeedFaults(this.#faultHost(), heartbeatIntervalMs === false ? DEFAULT_FORCED_HEARTBEAT_MS : heartbeatIntervalMs);
    const connections = (): Iterable<FeedConnection> => this.#gateway.connections.values();
    this.#publisher = new Publisher({ options: this.options, dialect: this.#dialect, faults: this.faults, connections });
    this.#gateway = new Gateway({
      dialect: this.#dialect,
      faults: this.faults,
      limits: new FeedLimits(this.options.limits, Date.now()),
      publisher: this.#publisher,
      historyLimit: this.options.historyLimit,
      events: {
        connection: (info) => this.emit('connection', info),
        message: (message) => {
          this.emit('message', message);
          this.#followUp(message);
        },
        disconnect: (event) => this.emit('disconnect', event),
      },
    });
    this.#http = createServer((req, res) => handleHttp(this.#httpHost(), req, res));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#gateway.handleUpgrade(req, socket, head));
  }

  /** The port listened on (the same across stop() and restart()). */
  get port(): number {
    return this.#port;
  }

  /** WebSocket base URL, e.g. `ws://127.0.0.1:41234`; append `/ws` or `/stream?streams=…` for Binance. */
  get url(): string {
    return `ws://${this.#hostForUrl()}:${this.#port}`;
  }

  /** HTTP base URL on the same port: REST snapshot and control surface. */
  get httpUrl(): string {
    return `http://${this.#hostForUrl()}:${this.#port}`;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.#gateway.connections.size;
  }

  /** Connections ever accepted (since the last clearRecords()). */
  get connectionsAccepted(): number {
    return this.#gateway.handshakeTimes.length;
  }

  /** Upgrade requests ever received: accepted, refused and hung. */
  get handshakeAttempts(): number {
    return this.#gateway.counters.attempts;
  }

  /** When each accepted upgrade happened, in ms since the epoch (reconnect storms, herds). */
  get handshakeTimes(): number[] {
    return this.#gateway.handshakeTimes;
  }

  /** Every message clients sent, oldest first (about the newest `historyLimit` are kept). */
  get received(): ReceivedMessage[] {
    return this.#gateway.received.items;
  }

  /** The connections open now. */
  get connections(): ConnectionInfo[] {
    return [...this.#gateway.connections.values()].map((connection) => connection.info);
  }

  /**
   * Topics a connection subscribed to (a dropped topic is still listed: the client still
   * believes in it), or, without an id, every topic some open connection is subscribed to.
   */
  subscriptions(connectionId?: number): string[] {
    const { connections } = this.#gateway;
    if (connectionId !== undefined) return connections.get(connectionId)?.topics() ?? [];
    return [...new Set([...connections.values()].flatMap((connection) => connection.topics()))].sort();
  }

  /**
   * Sends one data message of `topic` now, with the next sequence number, and returns it.
   * `data` replaces the JSON dialect's `data`; in the Binance dialect its fields are merged into
   * the event (ids and symbol stay; depth `b`/`a` given are applied to the book).
   * @throws TypeError when the topic is malformed or not among the configured `topics`.
   */
  publish(topic: string, data?: unknown): object {
    return this.#publisher.publish(topic, data);
  }

  /** The messages published on a topic, oldest first: the upstream truth for loss and duplicate checks. */
  published(topic: string): readonly object[] {
    return this.#publisher.published(topic);
  }

  /**
   * Sends one text frame, verbatim, to every open connection (replaying a recording). Withheld
   * while stalled, like generated data; frozen connections get nothing. Returns the frames sent.
   */
  sendRaw(text: string): number {
    if (this.faults.stalled) return 0;
    let frames = 0;
    for (const connection of this.#gateway.connections.values()) if (connection.send(text)) frames += 1;
    return frames;
  }

  /**
   * The server's true order book of a symbol (Binance dialect), sorted best first.
   * @throws Error in the JSON dialect.
   */
  book(symbol: string): BookSnapshot {
    if (!this.#dialect.book) throw new Error(`Expected the binance dialect for book(), got ${this.#dialect.name}.`);
    return this.#dialect.book(symbol);
  }

  /**
   * Makes the next `count` book messages carry a wrong checksum, with no sequence gap (Kraken
   * dialect): a corrupted book the client can only catch by checking the checksum.
   * @throws Error in a dialect without checksums.
   */
  corruptChecksum(count = 1): void {
    if (!this.#dialect.corruptChecksum) throw new Error(`Expected a dialect with book checksums (kraken), got ${this.#dialect.name}.`);
    if (!Number.isInteger(count) || count <= 0) throw new TypeError(`Expected \`count\` to be an integer > 0, got ${String(count)}.`);
    this.#dialect.corruptChecksum(count);
  }

  /**
   * After the gateway handled a client frame: a raw text answer (OKX `pong`) and, after a
   * subscribe, the WebSocket snapshot of each book stream (Bybit, OKX, Kraken, Coinbase).
   */
  #followUp({ connectionId, data }: ReceivedMessage): void {
    const dialect = this.#dialect;
    const connection = this.#gateway.connections.get(connectionId);
    if (connection === undefined || Buffer.isBuffer(data)) return;
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    const raw = dialect.rawReply?.(text);
    if (raw !== undefined) connection.send(raw);
    if (dialect.snapshotMessage === undefined) return;
    const command = dialect.parse(text);
    if (command.kind !== 'subscribe') return;
    // The gateway subscribes the connection right after this event: send once it has, before any data.
    queueMicrotask(() => {
      for (const topic of command.topics) {
        if (!connection.topics().includes(topic)) continue;
        const stale = this.faults.state().pendingStaleSnapshots > 0;
        const snapshot = dialect.snapshotMessage?.(topic, Date.now(), stale);
        if (snapshot === undefined) continue;
        if (stale) this.faults.takeStaleSnapshot();
        connection.send(JSON.stringify(snapshot));
      }
    });
  }

  /** Counters and active faults (also served as `GET /control/state`). */
  state(): FeedServerState {
    const topics: FeedServerState['topics'] = {};
    for (const source of this.#publisher.sources()) {
      const subscribers = this.#publisher.subscribersOf(source).length;
      topics[source] = { position: this.#dialect.position(source), subscribers, published: this.#publisher.publishedCount(source) };
    }
    const { attempts, rejected, hanging } = this.#gateway.counters;
    return {
      dialect: this.#dialect.name,
      url: this.url,
      listening: this.#listening,
      connectionCount: this.connectionCount,
      connectionsAccepted: this.connectionsAccepted,
      handshakeAttempts: attempts,
      handshakesRejected: rejected,
      handshakesHanging: hanging,
      messagesReceived: this.#gateway.received.total,
      topics,
      faults: this.faults.state(),
    };
  }

  /** Empties `received`, `handshakeTimes` and every topic's `published()`; sequences continue. */
  clearRecords(): void {
    this.#gateway.clearRecords();
    this.#publisher.clearHistory();
  }

  /**
   * Resolves once `n` connections have been accepted in total (a connection that already came
   * and went counts), with the info of the newest one.
   * @param timeoutMs - Rejects after this many ms, saying how many arrived. @default 5000
   */
  waitForConnections(n: number, timeoutMs = 5000): Promise<ConnectionInfo> {
    const probe = (): ConnectionInfo | undefined => (this.connectionsAccepted >= n ? this.#gateway.lastAccepted : undefined);
    const failure = (): string =>
      `Expected ${n} accepted connection(s) within ${timeoutMs} ms, got ${this.connectionsAccepted} (${this.connectionCount} open now).`;
    return this.#waiters.wait(this, 'connection', probe, probe, timeoutMs, failure);
  }

  /**
   * Resolves with the first client message, already received or arriving later, for which
   * `predicate(data, message)` is true.
   * @param timeoutMs - Rejects after this many ms. @default 5000
   */
  waitForMessage(predicate: (data: ReceivedMessage['data'], message: ReceivedMessage) => boolean, timeoutMs = 5000): Promise<ReceivedMessage> {
    const test = (message: ReceivedMessage): ReceivedMessage | undefined => (predicate(message.data, message) ? message : undefined);
    const probeNow = (): ReceivedMessage | undefined => this.received.find((message) => test(message));
    const failure = (): string =>
      `Expected a client message matching the predicate within ${timeoutMs} ms, got none among ${this.received.length} received.`;
    return this.#waiters.wait(this, 'message', probeNow, test, timeoutMs, failure);
  }

  /**
   * Terminates everything (connections, hung handshakes, timers, the HTTP server) and resolves
   * when done; pending waits reject. Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#stop({});
      this.#waiters.rejectAll(new Error('Expected the feed server to stay open while waiting, but close() was called.'));
      this.#gateway.close();
    })();
    return this.#closing;
  }

  /** @internal Starts listening on the configured (later: the remembered) port. */
  listen(): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('Expected an open feed server, got one that was closed.'));
    if (this.#listening) return Promise.resolve();
    clearTimeout(this.#restartTimer);
    return new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.#http.off('listening', onListening);
        reject(new Error(`Expected to listen on ${this.options.host}:${this.#port}, got ${error.message}`, { cause: error }));
      };
      const onListening = (): void => {
        this.#http.off('error', onError);
        this.#port = (this.#http.address() as AddressInfo).port;
        this.#listening = true;
        this.#publisher.start();
        resolve();
      };
      this.#http.once('error', onError);
      this.#http.once('listening', onListening);
      this.#http.listen(this.#port, this.options.host);
    });
  }

  async #stop(options: StopOptions): Promise<void> {
    clearTimeout(this.#restartTimer);
    if (this.#listening) {
      this.#listening = false;
      this.#publisher.stop();
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeAllConnections();
      this.#gateway.destroyHung();
      for (const timer of this.#deferred) clearTimeout(timer);
      this.#deferred.clear();
      await this.#gateway.endAll(options.code, GRACEFUL_CLOSE_MS);
      await closed;
    }
    if (options.restartAfterMs !== undefined && !this.#closing) {
      this.#restartTimer = setTimeout(() => void this.listen().catch(() => undefined), options.restartAfterMs);
    }
  }

  #faultHost(): FaultHost {
    return {
      connections: () => this.#gateway.connections.values(),
      sources: () => this.#publisher.sources(),
      sourceOf: (topic) => this.#dialect.sourceOf(topic),
      duplicate: (sources) => this.#publisher.duplicate(sources),
      heartbeatsChanged: () => this.#publisher.heartbeatsChanged(),
      stop: (options) => this.#stop(options),
      restart: () => this.listen(),
      shutdownNotice: () => this.#dialect.shutdownNotice(Date.now()),
    };
  }

  #httpHost(): HttpHost {
    return {
      faults: this.faults,
      publish: (topic, data) => this.publish(topic, data),
      dialect: this.#dialect.name,
      history: (topic) => this.#publisher.history(topic),
      servesSnapshots: this.#dialect.book !== undefined,
      snapshotPath: this.#dialect.snapshotPath ?? '/api/v3/depth',
      snapshotDelayMs: this.options.snapshotDelayMs,
      snapshot: (symbol, limit) => this.#snapshot(symbol, limit),
      defer: (fn, delayMs) => {
        const timer = setTimeout(() => {
          this.#deferred.delete(timer);
          fn();
        }, delayMs);
        this.#deferred.add(timer);
      },
      state: () => this.state(),
    };
  }

  #snapshot(symbol: string, limit: number): BookSnapshot | undefined {
    const lower = symbol.toLowerCase();
    const exists = !this.options.topics || this.#publisher.sources().some((source) => source.startsWith(`${lower}@`));
    if (!exists || !this.#dialect.book) return undefined;
    return this.#dialect.book(lower, limit, this.faults.takeStaleSnapshot());
  }

  #hostForUrl(): string {
    return this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
  }
}

/**
 * Creates a fault-injecting feed server and resolves once it listens.
 * @throws TypeError for invalid options; Error when the port cannot be bound.
 */
export async function createFeedServer(options: FeedServerOptions = {}): Promise<FeedServer> {
  const server = new FeedServer(options);
  await server.listen();
  return server;
}
