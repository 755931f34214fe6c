import pRetry, { AbortError } from 'p-retry';
import { backoffDelay } from './backoff.js';
import { Connection, type ConnectionEnd, type ConnectionHost } from './connection.js';
import type { InboundHost, MessageSink } from './inbound.js';
import type { LivenessCallbacks } from './liveness.js';
import type { OutboundHost } from './outbound.js';
import type { ResyncCallbacks } from './resyncer.js';
import type { StormCallbacks } from './storm-watch.js';
import { describe, ResilientStreamError } from './errors.js';
import { Inbound } from './inbound.js';
import { LivenessMonitor } from './liveness.js';
import { MessageIterator } from './message-iterator.js';
import { Outbound } from './outbound.js';
import { watchPlatform } from './platform.js';
import { resolveOptions, type ResolvedOptions } from './resolve-options.js';
import { Resyncer } from './resyncer.js';
import { SafeEmitter } from './safe-emitter.js';
import { canTransition, isLive, isTerminal, type StreamState } from './state.js';
import { StormWatch } from './storm-watch.js';
import type { ResilientStreamEvents, StaleEvent, StreamHealth, TopicHealth } from './events.js';
import type { ResilientStreamOptions } from './options.js';

const NORMAL_CLOSE = 1000;
const NO_SEQUENCE_COUNTS = Object.freeze({ duplicates: 0, gaps: 0, resyncs: 0 });
/** Close code of the `close` event when the stream cuts a socket itself (stale, reconnect()). */
const RECYCLED = 4000;

type Events<In, Out> = ResilientStreamEvents<In, Out>;
/** Everything the modules report to (see ResilientStream's #Hub). */
type Hub = LivenessCallbacks & ConnectionHost & InboundHost & OutboundHost & StormCallbacks & ResyncCallbacks<unknown> & MessageSink<unknown>;

/**
 * A WebSocket feed that stays alive and honest: it reconnects with jittered backoff, resubscribes,
 * detects silent and half-open sockets, resyncs state after gaps and raises reconnect-storm alerts,
 * all as typed events. The conductor: it owns the lifecycle and wires the modules that do the work.
 * See docs/ for every option, event and error.
 */
export class ResilientStream<In = unknown, Out = unknown> extends SafeEmitter<Events<In, Out>> {
  readonly #options: ResolvedOptions<In, Out>;
  readonly #topics: Set<string>;
  readonly #liveness: LivenessMonitor;
  /** Only when `sequence` or `resync` is given: most streams need neither. */
  readonly #resyncer: Resyncer<In> | undefined;
  readonly #inbound: Inbound<In>;
  readonly #outbound: Outbound<Out>;
  readonly #storm: StormWatch;
  #iterators: Set<MessageIterator<In>> | undefined;
  readonly #hub: Hub;
  #state: StreamState = 'idle';
  #generation = 0;
  #connection: Connection | undefined;
  /** Settles the current dial's promise (p-retry waits on it): resolved when the socket opens. */
  #settle: { resolve(): void; reject(error: unknown): void } | undefined;
  #loop: AbortController | undefined;
  #attempt = 0;
  #reconnects = 0;
  #previousDelayMs: number | undefined;
  #skipWait: (() => void) | undefined;
  #wakeTimer: unknown;
  #pendingImmediate = false;
  /** The network came back or the page woke while a dial was in flight: if it fails, retry soon. */
  #wokeWhileDialing = false;
  #isClosing = false;
  #closing: Promise<void> | undefined;
  #unwatchPlatform: (() => void) | undefined;
  #onAbortSignal: (() => void) | undefined;

  constructor(options: ResilientStreamOptions<In, Out>) {
    super();
    const o = (this.#options = resolveOptions(options));
    this.#topics = new Set(o.topics);
    const hub = new ResilientStream.#Hub(this);
    this.#hub = hub;
    this.#liveness = new LivenessMonitor(o, o.clock, hub);
    this.#resyncer = o.sequence === undefined && o.resync === undefined ? undefined : new Resyncer<In>(o, hub);
    this.#inbound = new Inbound<In>(o, this.#liveness, this.#resyncer ?? hub, hub);
    this.#outbound = new Outbound<Out>(o, hub);
    this.#storm = new StormWatch(o.storm, o.clock, hub);
    if (o.signal !== undefined) this.#watchAbortSignal(o.signal);
  }

  /**
   * The one object every module reports to, implementing each module's narrow callback interface
   * with prototype methods: no closure per callback, which matters when a process holds ten
   * thousand idle streams. Declared inside the class so the stream's state stays private.
   */
  static readonly #Hub = class Hub implements LivenessCallbacks, ConnectionHost, InboundHost, OutboundHost, StormCallbacks,
    ResyncCallbacks<unknown>, MessageSink<unknown> {
    readonly #stream: ResilientStream<any, any>;
    constructor(stream: ResilientStream<any, any>) {
      this.#stream = stream;
    }
    get generation(): number { return this.#stream.#generation; }
    get inbound(): Inbound<unknown> { return this.#stream.#inbound; }
    opened(connection: Connection): void { void this.#stream.#onOpen(connection); }
    controlFrame(): void { this.#stream.#liveness.frames++; }
    ended(connection: Connection, end: ConnectionEnd): void { this.#stream.#onEnded(connection, end); }
    accept(message: unknown): void { this.#stream.#deliver(message); }
    deliver(message: unknown): void { this.#stream.#deliver(message); }
    emit(event: string, payload: unknown): void { this.#stream.#emit(event as 'error', payload as ResilientStreamError); }
    error(error: ResilientStreamError): void { this.#stream.#emit('error', error); }
    recycle(error: ResilientStreamError, code?: number): void { this.#stream.#recycle(error, code); }
    setState(to: StreamState, reason: string): void { this.#stream.#transition(to, reason); }
    isCurrent(generation: number): boolean { return generation === this.#stream.#generation; }
    topics(): string[] { return [...this.#stream.#topics]; }
    ping(): boolean { return this.#stream.#ping(); }
    dead(event: StaleEvent): void { this.#stream.#onDead(event); }
    topicSilent(event: StaleEvent, final: boolean): void { this.#stream.#onTopicSilent(event, final); }
  };

  /** The current lifecycle state. */
  get state(): StreamState {
    return this.#state;
  }

  /** The desired subscriptions (sent after every open). */
  get topics(): ReadonlySet<string> {
    return this.#topics;
  }

  /** Begins connecting. Idempotent; after `failed` it starts over with a fresh attempt count. */
  start(): this {
    if (this.#state === 'closed' || this.#isClosing) {
      throw new ResilientStreamError('RS_CLOSED', 'Expected a stream that is not closed, but start() was called after close().');
    }
    if (this.#state !== 'idle' && this.#state !== 'failed') return this;
    this.#unwatchPlatform ??= this.#watchPlatform();
    this.#attempt = 0;
    this.#previousDelayMs = undefined;
    void this.#dialLoop();
    return this;
  }

  /** Sends now if open, else queues (also before start()). False when not accepted. */
  send(message: Out): boolean {
    if (isTerminal(this.#state) || this.#isClosing) return false;
    const transport = this.#connection?.transport;
    if (transport !== undefined && isLive(this.#state)) return this.#outbound.write(transport, message);
    return this.#outbound.enqueue(message);
  }

  /** Adds topics to the desired set; sends the subscribe messages now if open. */
  subscribe(topics: string | string[]): void {
    const added = normaliseTopics(topics, 'subscribe').filter((topic) => !this.#topics.has(topic));
    for (const topic of added) this.#topics.add(topic);
    if (added.length === 0 || !isLive(this.#state)) return;
    for (const topic of added) this.#liveness.watchTopic(topic);
    void this.#outbound.subscribe(added, this.#target(this.#connection!));
  }

  /** Removes topics from the desired set; sends the unsubscribe messages now if open. */
  unsubscribe(topics: string | string[]): void {
    const removed = normaliseTopics(topics, 'unsubscribe').filter((topic) => this.#topics.has(topic));
    for (const topic of removed) {
      this.#topics.delete(topic);
      this.#liveness.unwatchTopic(topic);
    }
    if (removed.length > 0 && isLive(this.#state)) this.#outbound.unsubscribe(removed, this.#connection?.transport);
  }

  /** Drops the current socket and dials again at once (no backoff delay). */
  reconnect(reason = 'reconnect() called'): void {
    if (isTerminal(this.#state) || this.#state === 'idle' || this.#isClosing) return;
    if (this.#state === 'reconnecting') {
      this.#pendingImmediate = true;
      this.#skipWait?.();
      return;
    }
    const error = new ResilientStreamError('RS_CONNECT_FAILED', reason);
    this.#teardown({ error, code: RECYCLED, reason, isImmediate: true });
  }

  /** Closes for good: sends a close frame, waits up to `closeTimeoutMs`, releases everything. Idempotent. */
  close(code = NORMAL_CLOSE, reason = ''): Promise<void> {
    this.#closing ??= this.#close(code, reason);
    return this.#closing;
  }

  /** A snapshot for dashboards, probes and metrics. */
  health(): StreamHealth {
    const now = this.#options.clock.now();
    this.#liveness.sample();
    const lastMessageAt = this.#liveness.lastDataAt() ?? null;
    const topics: Record<string, TopicHealth> = {};
    for (const topic of this.#topics) {
      const state = this.#liveness.topicState(topic);
      topics[topic] = { lastMessageAt: state?.lastAt ?? null, stale: state?.stale ?? false };
    }
    const live = isLive(this.#state);
    return {
      state: this.#state,
      connected: live,
      lastMessageAt,
      lastMessageAgeMs: lastMessageAt === null ? null : Math.max(0, now - lastMessageAt),
      connectedSince: live ? this.#connection?.openedAt ?? null : null,
      attempt: this.#attempt,
      reconnects: this.#reconnects,
      messagesReceived: this.#inbound.received,
      ...this.#outbound.counts(),
      ...(this.#resyncer?.counts() ?? NO_SEQUENCE_COUNTS),
      storm: this.#storm.active,
      staleThresholdMs: this.#liveness.staleThresholdMs ?? null,
      topics,
    };
  }

  /** Messages until the stream is closed or fails. Each iterator has its own bounded buffer. */
  [Symbol.asyncIterator](): AsyncIterator<In> {
    const iterator = new MessageIterator<In>(this.#options.iteratorBufferSize, (it) => this.#iterators?.delete(it));
    if (isTerminal(this.#state) || this.#isClosing) iterator.end();
    else (this.#iterators ??= new Set()).add(iterator);
    return iterator;
  }

  /** `await using stream = ...` closes the stream at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────────

  #transition(to: StreamState, reason: string): void {
    const from = this.#state;
    if (from === to) return;
    if (!canTransition(from, to)) throw new Error(`resilient-stream bug: illegal transition ${from} -> ${to} (${reason})`);
    this.#state = to;
    this.#emit('state', { from, to, reason });
  }

  /**
   * One outage: dials until a socket opens or a terminal verdict. p-retry runs the attempts and we
   * choose each delay; while a socket is open no loop is running (nothing is held for idle streams).
   */
  async #dialLoop(lost?: Error): Promise<void> {
    const loop = new AbortController();
    this.#loop = loop;
    try {
      if (lost !== undefined) await this.#waitBeforeRetry(lost, loop.signal);
      await pRetry(() => this.#connectOnce(), {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        signal: loop.signal,
        onFailedAttempt: ({ error }) => this.#waitBeforeRetry(error, loop.signal),
      });
    } catch (error) {
      if (loop.signal.aborted || this.#isClosing || this.#state === 'failed') return;
      this.#fail(error instanceof ResilientStreamError ? error : new ResilientStreamError('RS_CONNECT_FAILED', describe(error), { cause: error }));
    } finally {
      if (this.#loop === loop) this.#loop = undefined;
    }
  }

  /** One dial; resolves when its socket opens, rejects when it fails first. */
  #connectOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const connection = new Connection(++this.#generation, this.#attempt, this.#options, this.#hub);
      this.#connection = connection;
      this.#settle = { resolve, reject };
      this.#transition('connecting', connection.attempt === 0 ? 'start' : `reconnect attempt ${connection.attempt}`);
      connection.dial();
    });
  }

  async #onOpen(connection: Connection): Promise<void> {
    this.#settle?.resolve();
    this.#settle = undefined;
    this.#wokeWhileDialing = false;
    const isReconnect = connection.attempt > 0;
    this.#emit('open', { attempt: connection.attempt, isReconnect, url: connection.url ?? '' });
    if (connection.generation !== this.#generation) return;
    this.#liveness.start();
    for (const topic of this.#topics) this.#liveness.watchTopic(topic);
    this.#resyncer?.beginHold(connection.generation);
    const sent = [...this.#topics];
    if (!(await this.#outbound.subscribe(sent, this.#target(connection), true))) return;
    this.#reconcileTopics(sent, connection);
    this.#outbound.flush(connection.transport!);
    this.#storm.opened();
    await this.#resyncer?.afterOpen(connection.generation, isReconnect ? 'reconnect' : 'connect');
    if (connection.generation === this.#generation && this.#state === 'connecting') this.#transition('open', 'subscribed');
  }

  #onEnded(connection: Connection, end: ConnectionEnd): void {
    if (connection.generation !== this.#generation) return;
    // A failed dial is news; a socket that closed is told by the `close` event instead.
    if (connection.openedAt === undefined) this.#emit('error', end.error);
    this.#teardown(end);
  }

  /** The one way a connection ends. Silences the socket, tells listeners, settles the attempt. */
  #teardown(end: ConnectionEnd): void {
    const connection = this.#connection;
    if (connection === undefined || connection.generation !== this.#generation) return;
    const settle = this.#settle;
    this.#generation++;
    this.#settle = undefined;
    this.#liveness.stop();
    this.#resyncer?.cancel();
    connection.dispose(end.error);
    const isClosing = this.#isClosing;
    if (!isClosing) this.#storm.failed(end.code, end.error);
    const verdict = isClosing ? undefined : this.#decide(connection, end);
    if (connection.openedAt !== undefined) {
      const willReconnect = !isClosing && verdict === undefined;
      this.#emit('close', { code: end.code ?? 1006, reason: end.reason ?? '', wasClean: end.wasClean ?? false, willReconnect });
    }
    if (end.isImmediate === true) this.#pendingImmediate = true;
    connection.onEnded?.();
    // Move the state now, not a microtask later: in between, send() must queue rather than
    // write to the dead socket, and health() must not say connected.
    if (isClosing) settle?.resolve();
    else if (verdict === undefined) {
      this.#transition('reconnecting', end.error.message);
      // A failed dial goes back to its p-retry loop; a lost open socket starts a new outage.
      if (settle !== undefined) settle.reject(end.error);
      else void this.#dialLoop(end.error);
    } else {
      this.#fail(verdict);
      settle?.reject(new AbortError(verdict));
    }
  }

  /** Whether to reconnect; returns the terminal error when not. Also advances the attempt counter. */
  #decide(connection: Connection, end: ConnectionEnd): ResilientStreamError | undefined {
    const { backoff, shouldReconnect, clock } = this.#options;
    let allowed: boolean;
    try {
      allowed = shouldReconnect({ code: end.code, reason: end.reason, status: end.status, error: end.error });
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_LISTENER', `shouldReconnect threw: ${describe(cause)}; reconnecting anyway.`, { cause, event: 'shouldReconnect' }));
      allowed = true;
    }
    if (!allowed) {
      const detail = end.status !== undefined ? `HTTP ${end.status}` : end.code !== undefined ? `close code ${end.code}` : describe(end.error);
      return new ResilientStreamError('RS_FATAL_CLOSE', `Not reconnecting after ${detail} (shouldReconnect).`, {
        cause: end.error, status: end.status, closeCode: end.code, closeReason: end.reason });
    }
    const wasHealthy = connection.openedAt !== undefined && clock.now() - connection.openedAt >= backoff.resetAfterMs;
    if (wasHealthy) {
      this.#storm.healthy();
      this.#previousDelayMs = undefined;
    }
    this.#attempt = wasHealthy ? 1 : this.#attempt + 1;
    if (this.#attempt <= backoff.maxAttempts) return undefined;
    return new ResilientStreamError('RS_RETRIES_EXHAUSTED',
      `Gave up after ${backoff.maxAttempts} reconnect attempts (backoff.maxAttempts); last: ${end.error.message}`, { cause: end.error });
  }

  /** Between attempts: pick the delay, announce it, wait it out (cut short by reconnect() or `online`). */
  async #waitBeforeRetry(error: Error, signal: AbortSignal): Promise<void> {
    const { clock } = this.#options;
    const attempt = this.#attempt;
    this.#reconnects++;
    this.#transition('reconnecting', error.message);
    // Record first: the attempt that starts a storm already gets the storm's cooldown.
    this.#storm.attempt();
    const delayMs = this.#pendingImmediate ? 0 : this.#wokeWhileDialing ? this.#wakeDelay() : this.#delayFor(attempt, error);
    this.#pendingImmediate = this.#wokeWhileDialing = false;
    this.#emit('reconnecting', { attempt, delayMs, reason: error.message });
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#skipWait = undefined;
        resolve();
      };
      const timer = clock.setTimeout(done, delayMs);
      signal.addEventListener('abort', done);
      this.#skipWait = done;
    });
  }

  /** The jittered backoff delay, plus the storm cooldown, never shorter than a server's Retry-After. */
  #delayFor(attempt: number, error: Error): number {
    const { backoff, random } = this.#options;
    const jittered = backoffDelay(attempt, backoff, random, this.#previousDelayMs);
    this.#previousDelayMs = jittered;
    const retryAfterMs = error instanceof ResilientStreamError ? error.retryAfterMs : undefined;
    const delayMs = jittered + this.#storm.cooldownMs();
    return retryAfterMs === undefined ? delayMs : Math.max(delayMs, Math.min(retryAfterMs, backoff.maxDelayMs));
  }

  #fail(error: ResilientStreamError): void {
    this.#transition('failed', error.message);
    this.#emit('error', error);
    this.#endIterators(error);
  }

  async #close(code: number, reason: string): Promise<void> {
    this.#isClosing = true;
    this.#loop?.abort();
    this.#skipWait?.();
    if (this.#wakeTimer !== undefined) this.#options.clock.clearTimeout(this.#wakeTimer);
    const connection = this.#connection;
    if (connection?.transport !== undefined && connection.openedAt !== undefined && connection.generation === this.#generation) {
      await this.#closeHandshake(connection, code, reason);
    }
    this.#teardown({ error: new ResilientStreamError('RS_CLOSED', 'close() called'), code, reason, wasClean: false });
    this.#connection = undefined;
    this.#unwatchPlatform?.();
    this.#unwatchPlatform = undefined;
    if (this.#onAbortSignal !== undefined) this.#options.signal?.removeEventListener('abort', this.#onAbortSignal);
    this.#storm.stop();
    this.#outbound.clear();
    this.#endIterators();
    if (this.#state !== 'closed') this.#transition('closed', 'close() called');
  }

  /** Sends our close frame and waits for the server's (teardown runs then), at most `closeTimeoutMs`. */
  #closeHandshake(connection: Connection, code: number, reason: string): Promise<void> {
    const { clock, closeTimeoutMs } = this.#options;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(() => resolve(), closeTimeoutMs);
      connection.onEnded = () => {
        clock.clearTimeout(timer);
        resolve();
      };
      this.#liveness.stop();
      connection.transport!.close(code, reason);
    });
  }

  // ── what the modules report ─────────────────────────────────────────────────────────────────

  /** Hands a message to listeners and iterators. */
  #deliver(message: In): void {
    this.emitSafe('message', message);
    if (this.#iterators !== undefined) for (const iterator of this.#iterators) iterator.push(message);
  }

  /** Sends a heartbeat ping; false when this socket cannot be asked (no ping frames, no `heartbeat.ping`). */
  #ping(): boolean {
    const transport = this.#connection?.transport;
    const heartbeat = this.#options.heartbeat;
    if (transport === undefined || heartbeat === false) return false;
    try {
      if (heartbeat.ping !== undefined) transport.send(this.#options.encode(heartbeat.ping()));
      else if (transport.canPing) transport.ping();
      else return false;
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_ENCODE', `Could not send a heartbeat ping: ${describe(cause)}`, { cause }));
    }
    // A ping that failed to send still arms the timeout: a socket that cannot take a write is dead.
    return true;
  }

  #onDead(event: StaleEvent): void {
    this.#emit('stale', event);
    const code = event.kind === 'heartbeat' ? 'RS_HEARTBEAT_TIMEOUT' : 'RS_STALE';
    const what = event.kind === 'heartbeat' ? 'Nothing arrived after a heartbeat ping'
      : event.kind === 'topic' ? `Topic ${event.topic} stayed silent after a resubscribe` : 'No data arrived';
    const message = `${what} for ${event.silentForMs} ms (threshold ${event.thresholdMs} ms); reconnecting.`;
    this.#recycle(new ResilientStreamError(code, message, { topic: event.topic }));
  }

  #onTopicSilent(event: StaleEvent, final: boolean): void {
    if (final) return this.#onDead(event);
    this.#emit('stale', event);
    const connection = this.#connection;
    if (connection === undefined || !isLive(this.#state) || event.topic === undefined) return;
    this.#outbound.unsubscribe([event.topic], connection.transport);
    void this.#outbound.subscribe([event.topic], this.#target(connection));
  }

  /** Reports `error` and replaces the socket (terminated, not politely closed: it may be half-open). */
  #recycle(error: ResilientStreamError, code = RECYCLED): void {
    this.#emit('error', error);
    this.#teardown({ error, code, reason: error.code, wasClean: false });
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────

  /** Topics changed while the subscribe hook ran: send the difference so nothing is lost or doubled. */
  #reconcileTopics(sent: readonly string[], connection: Connection): void {
    const sentSet = new Set(sent);
    const added = [...this.#topics].filter((topic) => !sentSet.has(topic));
    const removed = sent.filter((topic) => !this.#topics.has(topic));
    if (removed.length > 0) this.#outbound.unsubscribe(removed, connection.transport);
    if (added.length > 0) void this.#outbound.subscribe(added, this.#target(connection));
  }

  #target(connection: Connection) {
    return { transport: connection.transport, attempt: connection.attempt, isCurrent: () => connection.generation === this.#generation };
  }

  #emit<E extends keyof Events<In, Out>>(event: E, payload: Parameters<Events<In, Out>[E]>[0]): void {
    this.emitSafe(event, payload);
  }

  /** A listener threw: report it as RS_LISTENER. A throwing `error` listener is swallowed (reporting it would loop). */
  protected override listenerFailed(cause: unknown, event: string): void {
    if (event === 'error') return;
    this.emitSafe('error', new ResilientStreamError('RS_LISTENER', `A listener of '${event}' threw: ${describe(cause)}`, { cause, event }));
  }

  #endIterators(error?: ResilientStreamError): void {
    if (this.#iterators === undefined) return;
    for (const iterator of this.#iterators) iterator.end(error);
    this.#iterators = undefined;
  }

  #watchAbortSignal(signal: AbortSignal): void {
    if (signal.aborted) {
      void this.close();
      return;
    }
    this.#onAbortSignal = () => void this.close();
    signal.addEventListener('abort', this.#onAbortSignal, { once: true });
  }

  #watchPlatform(): () => void {
    const o = this.#options;
    return watchPlatform({
      offline: () => {
        if (o.reconnectOnOffline && isLive(this.#state)) {
          this.#recycle(new ResilientStreamError('RS_CONNECT_FAILED', 'The browser went offline; reconnecting when it is back.'));
        }
      },
      online: () => {
        if (o.reconnectOnOnline) this.#wakeSoon();
      },
      wake: () => {
        if (o.checkOnWake) this.#liveness.check();
        if (o.reconnectOnOnline) this.#wakeSoon();
      },
    });
  }

  /**
   * The network is back or the page woke: cut a backoff wait short after a small uniform delay (so
   * a fleet does not dial in the same millisecond); during a dial, make its retry, if any, that short.
   */
  #wakeSoon(): void {
    if (this.#state === 'connecting') this.#wokeWhileDialing = true;
    const skip = this.#skipWait;
    if (this.#state !== 'reconnecting' || skip === undefined || this.#wakeTimer !== undefined) return;
    this.#wakeTimer = this.#options.clock.setTimeout(() => {
      this.#wakeTimer = undefined;
      if (this.#skipWait === skip) skip();
    }, this.#wakeDelay());
  }

  #wakeDelay(): number {
    return this.#options.random() * this.#options.wakeJitterMs;
  }
}

/** Accepts one topic or a list; rejects empty or non-string topics. */
function normaliseTopics(topics: string | string[], method: string): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.some((topic) => typeof topic !== 'string' || topic === '')) {
    throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected ${method}() to get a non-empty string or an array of them, got ${JSON.stringify(topics)}.`);
  }
  return [...new Set(list)];
}
