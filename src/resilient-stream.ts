import pRetry, { AbortError } from 'p-retry';
import { backoffDelay } from './backoff.js';
import { describe, ResilientStreamError } from './errors.js';
import { LivenessMonitor } from './liveness.js';
import { MessageIterator } from './message-iterator.js';
import { watchPlatform } from './platform.js';
import { redactText, redactUrl } from './redact.js';
import { resolveOptions, type ResolvedOptions } from './resolve-options.js';
import { Resyncer } from './resyncer.js';
import { SafeEmitter } from './safe-emitter.js';
import { SendQueue } from './send-queue.js';
import { canTransition, isLive, isTerminal, type StreamState } from './state.js';
import { StormWatch } from './storm-watch.js';
import { Transport } from './transport.js';
import type { ResilientStreamEvents, StaleEvent, StreamHealth, TopicHealth } from './events.js';
import type { ResilientStreamOptions } from './options.js';

/** Why a connection ended, as teardown needs to know it. */
interface ConnectionEnd {
  readonly error: ResilientStreamError;
  readonly code?: number;
  readonly reason?: string;
  readonly status?: number;
  readonly wasClean?: boolean;
  /** Dial again without a delay (reconnect(), coming online). */
  readonly isImmediate?: boolean;
}

/** One dial and, if it opens, one socket. Replaced wholesale on every reconnect. */
interface Connection {
  readonly generation: number;
  readonly attempt: number;
  readonly abort: AbortController;
  readonly settle: { resolve(): void; reject(error: unknown): void };
  transport?: Transport;
  openedAt?: number;
  /** The redacted URL, safe for events and errors. */
  url?: string;
  /** The URL as dialed, kept only to redact it out of error texts. */
  rawUrl?: string;
  connectTimer?: unknown;
  rejection?: { status: number; retryAfterMs: number | undefined };
  /** Called once teardown has run (close() waits on it). */
  onEnded?: () => void;
}

const NORMAL_CLOSE = 1000;

/**
 * A WebSocket feed that stays alive and honest: it reconnects with jittered backoff, resubscribes,
 * detects silent and half-open sockets, resyncs state after gaps and raises reconnect-storm alerts,
 * all as typed events. See docs/ for every option, event and error.
 */
export class ResilientStream<In = unknown, Out = unknown> extends SafeEmitter<ResilientStreamEvents<In, Out>> {
  readonly #options: ResolvedOptions<In, Out>;
  readonly #topics: Set<string>;
  readonly #liveness: LivenessMonitor;
  readonly #queue: SendQueue<Out> | undefined;
  readonly #resyncer: Resyncer<In>;
  readonly #storm: StormWatch;
  readonly #iterators = new Set<MessageIterator<In>>();
  readonly #onListenerError = (error: unknown, event: string): void => this.#listenerFailed(error, event);
  #state: StreamState = 'idle';
  #generation = 0;
  #connection: Connection | undefined;
  #loop: AbortController | undefined;
  #attempt = 0;
  #previousDelayMs: number | undefined;
  #skipWait: (() => void) | undefined;
  #pendingImmediate = false;
  #closing: Promise<void> | undefined;
  #isClosing = false;
  #wakeTimer: unknown;
  #unwatchPlatform: (() => void) | undefined;
  #onAbortSignal: (() => void) | undefined;
  #counters = { reconnects: 0, messagesReceived: 0, messagesSent: 0 };

  constructor(options: ResilientStreamOptions<In, Out>) {
    super();
    this.#options = resolveOptions(options);
    const o = this.#options;
    this.#topics = new Set(o.topics);
    this.#queue = o.sendQueue === false ? undefined : new SendQueue<Out>(o.sendQueue);
    this.#liveness = new LivenessMonitor(o, o.clock, {
      ping: () => this.#ping(),
      dead: (event) => this.#onDead(event),
      topicSilent: (event, final) => this.#onTopicSilent(event, final),
    });
    this.#resyncer = new Resyncer<In>(o, {
      deliver: (message) => this.#deliver(message),
      emit: (event, payload) => this.#emit(event, payload),
      setState: (to, reason) => this.#transition(to, reason),
      isCurrent: (generation) => generation === this.#generation,
      fail: (error) => this.#recycle(error),
      topics: () => [...this.#topics],
    });
    this.#storm = new StormWatch(o.storm, o.clock, {
      emit: (event, payload) => this.#emit(event, payload),
    });
    if (o.signal !== undefined) this.#watchAbortSignal(o.signal);
  }

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
    if (this.#state === 'closed' || this.#closing !== undefined) {
      throw new ResilientStreamError('RS_CLOSED', 'Expected a stream that is not closed, but start() was called after close().');
    }
    if (this.#state !== 'idle' && this.#state !== 'failed') return this;
    if (this.#unwatchPlatform === undefined) this.#unwatchPlatform = this.#watchPlatform();
    void this.#runLoop();
    return this;
  }

  /** Sends now if open, else queues (also before start()). False when not accepted. */
  send(message: Out): boolean {
    if (isTerminal(this.#state) || this.#closing !== undefined) return false;
    const transport = this.#connection?.transport;
    if (transport !== undefined && isLive(this.#state)) return this.#write(transport, message);
    if (this.#queue === undefined) return false;
    this.#queue.push(message, this.#options.clock.now());
    return true;
  }

  /** Adds topics to the desired set; sends the subscribe messages now if open. */
  subscribe(topics: string | string[]): void {
    const added = this.#normaliseTopics(topics, 'subscribe').filter((topic) => !this.#topics.has(topic));
    for (const topic of added) this.#topics.add(topic);
    if (added.length === 0 || !isLive(this.#state)) return;
    for (const topic of added) this.#liveness.watchTopic(topic);
    void this.#sendSubscribe(added, this.#connection!);
  }

  /** Removes topics from the desired set; sends the unsubscribe messages now if open. */
  unsubscribe(topics: string | string[]): void {
    const removed = this.#normaliseTopics(topics, 'unsubscribe').filter((topic) => this.#topics.has(topic));
    for (const topic of removed) {
      this.#topics.delete(topic);
      this.#liveness.unwatchTopic(topic);
    }
    if (removed.length > 0 && isLive(this.#state)) this.#sendUnsubscribe(removed);
  }

  /** Drops the current socket and dials again at once (no backoff delay). */
  reconnect(reason = 'reconnect() called'): void {
    if (isTerminal(this.#state) || this.#state === 'idle' || this.#closing !== undefined) return;
    if (this.#state === 'reconnecting') {
      this.#pendingImmediate = true;
      this.#skipWait?.();
      return;
    }
    const error = new ResilientStreamError('RS_CONNECT_FAILED', reason);
    this.#teardown(this.#generation, { error, code: 4000, reason, isImmediate: true });
  }

  /** Closes for good: sends a close frame, waits up to `closeTimeoutMs`, releases everything. Idempotent. */
  close(code = NORMAL_CLOSE, reason = ''): Promise<void> {
    this.#closing ??= this.#close(code, reason);
    return this.#closing;
  }

  /** A snapshot for dashboards, probes and metrics. */
  health(): StreamHealth {
    const now = this.#options.clock.now();
    const lastMessageAt = this.#liveness.lastDataAt() ?? null;
    const connection = this.#connection;
    const topics: Record<string, TopicHealth> = {};
    for (const topic of this.#topics) {
      const state = this.#liveness.topicState(topic);
      topics[topic] = { lastMessageAt: state?.lastAt ?? null, stale: state?.stale ?? false };
    }
    return {
      state: this.#state,
      connected: isLive(this.#state),
      lastMessageAt,
      lastMessageAgeMs: lastMessageAt === null ? null : Math.max(0, now - lastMessageAt),
      connectedSince: isLive(this.#state) ? connection?.openedAt ?? null : null,
      attempt: this.#attempt,
      ...this.#counters,
      queued: this.#queue?.size ?? 0,
      dropped: this.#queue?.dropped ?? 0,
      ...this.#resyncer.counts(),
      storm: this.#storm.active,
      staleThresholdMs: this.#liveness.staleThresholdMs ?? null,
      topics,
    };
  }

  /** Messages until the stream is closed or fails. Each iterator has its own bounded buffer. */
  [Symbol.asyncIterator](): AsyncIterator<In> {
    const iterator = new MessageIterator<In>(this.#options.iteratorBufferSize, (it) => this.#iterators.delete(it));
    if (isTerminal(this.#state) || this.#closing !== undefined) iterator.end();
    else this.#iterators.add(iterator);
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

  async #runLoop(): Promise<void> {
    const loop = new AbortController();
    this.#loop = loop;
    this.#attempt = 0;
    this.#previousDelayMs = undefined;
    try {
      await pRetry(() => this.#connectOnce(), {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        signal: loop.signal,
        onFailedAttempt: ({ error }) => this.#waitBeforeRetry(error, loop.signal),
      });
    } catch (error) {
      if (loop.signal.aborted || this.#closing !== undefined) return;
      this.#fail(error instanceof ResilientStreamError ? error : new ResilientStreamError('RS_CONNECT_FAILED', describe(error), { cause: error }));
    }
  }

  /** One dial; settles when that connection ends (rejects) or the stream closes (resolves). */
  #connectOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const connection: Connection = {
        generation: ++this.#generation,
        attempt: this.#attempt,
        abort: new AbortController(),
        settle: { resolve, reject },
      };
      this.#connection = connection;
      this.#transition('connecting', connection.attempt === 0 ? 'start' : `reconnect attempt ${connection.attempt}`);
      connection.connectTimer = this.#options.clock.setTimeout(() => this.#onConnectTimeout(connection), this.#options.connectTimeoutMs);
      void this.#dial(connection);
    });
  }

  async #dial(connection: Connection): Promise<void> {
    const { url, protocols, WebSocket, clientOptions } = this.#options;
    try {
      const resolved = typeof url === 'function'
        ? await url({ attempt: connection.attempt, isReconnect: connection.attempt > 0, signal: connection.abort.signal })
        : url;
      const target = String(resolved);
      if (connection.generation !== this.#generation) return;
      connection.url = redactUrl(target);
      connection.rawUrl = target;
      connection.transport = new Transport(target, protocols, WebSocket, clientOptions, this.#handlersFor(connection));
    } catch (cause) {
      if (connection.generation !== this.#generation) return;
      const message = `Could not dial ${connection.url ?? 'the url'}: ${this.#redact(describe(cause), connection)}`;
      this.#connectFailed(connection, new ResilientStreamError('RS_CONNECT_FAILED', message, { cause: this.#redactCause(cause, connection) }));
    }
  }

  #handlersFor(connection: Connection) {
    const generation = connection.generation;
    const isCurrent = (): boolean => generation === this.#generation;
    return {
      onOpen: () => { if (isCurrent()) void this.#onOpen(connection); },
      onMessage: (data: string | Uint8Array, byteLength: number) => { if (generation === this.#generation) this.#receive(data, byteLength); },
      onControlFrame: () => { if (isCurrent()) this.#liveness.frames++; },
      onClose: (code: number, reason: string, wasClean: boolean) => { if (isCurrent()) this.#onSocketClose(connection, code, reason, wasClean); },
      onError: (error: Error) => { if (isCurrent() && connection.openedAt === undefined) this.#onDialError(connection, error); },
      onHandshakeRejected: (status: number, retryAfterMs: number | undefined) => {
        if (isCurrent()) connection.rejection = { status, retryAfterMs };
      },
    };
  }

  async #onOpen(connection: Connection): Promise<void> {
    const { clock } = this.#options;
    this.#clearConnectTimer(connection);
    connection.openedAt = clock.now();
    const isReconnect = connection.attempt > 0;
    this.#emit('open', { attempt: connection.attempt, isReconnect, url: connection.url ?? '' });
    if (connection.generation !== this.#generation) return;
    this.#liveness.start();
    for (const topic of this.#topics) this.#liveness.watchTopic(topic);
    this.#resyncer.beginHold(connection.generation);
    const sent = [...this.#topics];
    if (!(await this.#sendSubscribe(sent, connection, true))) return;
    this.#reconcileTopics(sent, connection);
    this.#flushQueue(connection.transport!);
    this.#storm.opened();
    await this.#resyncer.afterOpen(connection.generation, isReconnect ? 'reconnect' : 'connect');
    if (connection.generation === this.#generation && this.#state === 'connecting') this.#transition('open', 'subscribed');
  }

  #onConnectTimeout(connection: Connection): void {
    if (connection.generation !== this.#generation || connection.openedAt !== undefined) return;
    const message = `Expected the handshake with ${connection.url ?? 'the url'} to finish within ${this.#options.connectTimeoutMs} ms (connectTimeoutMs).`;
    this.#connectFailed(connection, new ResilientStreamError('RS_CONNECT_TIMEOUT', message));
  }

  #onDialError(connection: Connection, cause: Error): void {
    const url = connection.url ?? 'the url';
    const rejection = connection.rejection;
    const error = rejection === undefined
      ? new ResilientStreamError('RS_CONNECT_FAILED', `Could not connect to ${url}: ${this.#redact(cause.message, connection)}`,
          { cause: this.#redactCause(cause, connection) })
      : new ResilientStreamError('RS_HANDSHAKE_REJECTED', `The server refused the WebSocket handshake with ${url}: HTTP ${rejection.status}.`, {
          cause: this.#redactCause(cause, connection), status: rejection.status, retryAfterMs: rejection.retryAfterMs });
    this.#connectFailed(connection, error);
  }

  #onSocketClose(connection: Connection, code: number, reason: string, wasClean: boolean): void {
    if (connection.openedAt === undefined) {
      this.#onDialError(connection, new Error(`closed with code ${code} before opening`));
      return;
    }
    const error = new ResilientStreamError('RS_CONNECT_FAILED', `The connection to ${connection.url} closed with code ${code}${reason ? ` (${reason})` : ''}.`);
    this.#teardown(connection.generation, { error, code, reason, wasClean });
  }

  #connectFailed(connection: Connection, error: ResilientStreamError): void {
    this.#emit('error', error);
    this.#teardown(connection.generation, { error, status: error.status });
  }

  /** The one way a connection ends. Silences the socket, tells listeners, settles the attempt. */
  #teardown(generation: number, end: ConnectionEnd): void {
    const connection = this.#connection;
    if (connection === undefined || generation !== this.#generation || connection.generation !== generation) return;
    this.#generation++;
    this.#clearConnectTimer(connection);
    this.#liveness.stop();
    this.#resyncer.cancel();
    connection.abort.abort(end.error);
    connection.transport?.dispose();
    const isClosing = this.#isClosing;
    if (!isClosing) this.#storm.failed(end.code, end.error);
    const verdict = isClosing ? undefined : this.#decide(connection, end);
    if (connection.openedAt !== undefined) {
      const willReconnect = !isClosing && verdict === undefined;
      this.#emit('close', { code: end.code ?? 1006, reason: end.reason ?? '', wasClean: end.wasClean ?? false, willReconnect });
    }
    if (end.isImmediate === true) this.#pendingImmediate = true;
    connection.onEnded?.();
    if (isClosing) connection.settle.resolve();
    else connection.settle.reject(verdict === undefined ? end.error : new AbortError(verdict));
  }

  /** Whether to reconnect; returns the terminal error when not. Also advances the attempt counter. */
  #decide(connection: Connection, end: ConnectionEnd): ResilientStreamError | undefined {
    const { backoff, shouldReconnect, clock } = this.#options;
    let allowed: boolean;
    try {
      allowed = shouldReconnect({ code: end.code, reason: end.reason, status: end.status, error: end.error });
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_LISTENER', `shouldReconnect threw: ${describe(cause)}; reconnecting anyway.`, { cause }));
      allowed = true;
    }
    if (!allowed) {
      const detail = end.status !== undefined ? `HTTP ${end.status}` : end.code !== undefined ? `close code ${end.code}` : describe(end.error);
      return new ResilientStreamError('RS_FATAL_CLOSE', `Not reconnecting after ${detail} (shouldReconnect).`, {
        cause: end.error, status: end.status, closeCode: end.code, closeReason: end.reason });
    }
    const wasHealthy = connection.openedAt !== undefined && clock.now() - connection.openedAt >= backoff.resetAfterMs;
    if (wasHealthy) this.#storm.healthy();
    this.#attempt = wasHealthy ? 1 : this.#attempt + 1;
    if (wasHealthy) this.#previousDelayMs = undefined;
    if (this.#attempt <= backoff.maxAttempts) return undefined;
    return new ResilientStreamError('RS_RETRIES_EXHAUSTED',
      `Gave up after ${backoff.maxAttempts} reconnect attempts (backoff.maxAttempts); last: ${end.error.message}`, { cause: end.error });
  }

  /** Between attempts: pick the delay, announce it, wait it out (cut short by reconnect() or `online`). */
  async #waitBeforeRetry(error: Error, signal: AbortSignal): Promise<void> {
    const { backoff, random, clock } = this.#options;
    const attempt = this.#attempt;
    let delayMs = 0;
    if (!this.#pendingImmediate) {
      delayMs = backoffDelay(attempt, backoff, random, this.#previousDelayMs);
      this.#previousDelayMs = delayMs;
      delayMs += this.#storm.cooldownMs();
      const retryAfterMs = error instanceof ResilientStreamError ? error.retryAfterMs : undefined;
      if (retryAfterMs !== undefined) delayMs = Math.max(delayMs, Math.min(retryAfterMs, backoff.maxDelayMs));
    }
    this.#pendingImmediate = false;
    this.#counters.reconnects++;
    this.#transition('reconnecting', error.message);
    this.#storm.attempt();
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

  #fail(error: ResilientStreamError): void {
    this.#transition('failed', error.message);
    this.#emit('error', error);
    for (const iterator of this.#iterators) iterator.end(error);
    this.#iterators.clear();
  }

  async #close(code: number, reason: string): Promise<void> {
    this.#isClosing = true;
    this.#loop?.abort();
    if (this.#wakeTimer !== undefined) this.#options.clock.clearTimeout(this.#wakeTimer);
    this.#skipWait?.();
    const connection = this.#connection;
    const generation = this.#generation;
    if (connection?.transport !== undefined && connection.openedAt !== undefined && connection.generation === generation) {
      await this.#closeHandshake(connection, code, reason);
    }
    this.#teardownForClose(generation, code, reason);
    this.#unwatchPlatform?.();
    this.#unwatchPlatform = undefined;
    if (this.#onAbortSignal !== undefined) this.#options.signal?.removeEventListener('abort', this.#onAbortSignal);
    this.#storm.stop();
    this.#queue?.clear();
    for (const iterator of this.#iterators) iterator.end();
    this.#iterators.clear();
    if (this.#state !== 'closed') this.#transition('closed', 'close() called');
  }

  /** Sends our close frame and waits for the server's, at most `closeTimeoutMs`. */
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

  #teardownForClose(generation: number, code: number, reason: string): void {
    const connection = this.#connection;
    if (connection !== undefined && connection.generation === generation && generation === this.#generation) {
      const error = new ResilientStreamError('RS_CLOSED', 'close() called');
      this.#teardown(generation, { error, code, reason, wasClean: false });
    }
    this.#connection = undefined;
  }

  // ── inbound: the hot path ─────────────────────────────────────────────────────────────────────

  #receive(data: string | Uint8Array, byteLength: number): void {
    const o = this.#options;
    const liveness = this.#liveness;
    liveness.frames++;
    if (byteLength > o.maxMessageBytes) return this.#tooLarge(byteLength);
    let message: In;
    try {
      message = o.decode(data);
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_DECODE', `Could not decode a ${byteLength}-byte message: ${describe(cause)}`, { cause }));
      return;
    }
    const heartbeat = o.heartbeat;
    if (heartbeat !== false && heartbeat.isPong !== undefined && this.#guard('heartbeat.isPong', heartbeat.isPong, message) === true) return;
    if (o.isData === undefined || this.#guard('isData', o.isData, message) === true) liveness.recordData();
    let topic: string | undefined;
    if (o.topicOf !== undefined) {
      topic = this.#guard('topicOf', o.topicOf, message);
      if (topic !== undefined) liveness.recordTopic(topic);
    }
    this.#counters.messagesReceived++;
    this.#resyncer.accept(message, topic);
  }

  #deliver(message: In): void {
    this.emitSafe('message', message, this.#onListenerError);
    if (this.#iterators.size !== 0) for (const iterator of this.#iterators) iterator.push(message);
  }

  /** Calls a user function on a message; a throw is reported and treated as `undefined`. */
  #guard<R>(name: string, fn: (message: In) => R, message: In): R | undefined {
    try {
      return fn(message);
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_LISTENER', `${name} threw: ${describe(cause)}`, { cause, event: name }));
      return undefined;
    }
  }

  #tooLarge(byteLength: number): void {
    const message = `Expected messages of at most ${this.#options.maxMessageBytes} bytes (maxMessageBytes), got ${byteLength}; recycling the socket.`;
    this.#recycle(new ResilientStreamError('RS_MESSAGE_TOO_LARGE', message), 1009);
  }

  // ── liveness ──────────────────────────────────────────────────────────────────────────────────

  #ping(): void {
    const transport = this.#connection?.transport;
    const heartbeat = this.#options.heartbeat;
    if (transport === undefined || heartbeat === false) return;
    try {
      if (heartbeat.ping !== undefined) transport.send(this.#options.encode(heartbeat.ping()));
      else if (transport.canPing) transport.ping();
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_ENCODE', `Could not send a heartbeat ping: ${describe(cause)}`, { cause }));
    }
  }

  #onDead(event: StaleEvent): void {
    this.#emit('stale', event);
    const code = event.kind === 'heartbeat' ? 'RS_HEARTBEAT_TIMEOUT' : 'RS_STALE';
    const what = event.kind === 'heartbeat' ? 'Nothing arrived after a heartbeat ping' : event.kind === 'topic' ? `Topic ${event.topic} stayed silent after a resubscribe` : 'No data arrived';
    this.#recycle(new ResilientStreamError(code, `${what} for ${Math.round(event.silentForMs)} ms (threshold ${Math.round(event.thresholdMs)} ms); reconnecting.`, { topic: event.topic }));
  }

  #onTopicSilent(event: StaleEvent, final: boolean): void {
    if (final) return this.#onDead(event);
    this.#emit('stale', event);
    const connection = this.#connection;
    if (connection === undefined || !isLive(this.#state) || event.topic === undefined) return;
    this.#sendUnsubscribe([event.topic]);
    void this.#sendSubscribe([event.topic], connection);
  }

  /** Reports `error` and replaces the socket (terminated, not politely closed: it may be half-open). */
  #recycle(error: ResilientStreamError, code = 4000): void {
    this.#emit('error', error);
    this.#teardown(this.#generation, { error, code, reason: error.code, wasClean: false });
  }

  // ── outbound ──────────────────────────────────────────────────────────────────────────────────

  #write(transport: Transport, message: Out): boolean {
    let frame;
    try {
      frame = this.#options.encode(message);
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_ENCODE', `Could not encode a message: ${describe(cause)}`, { cause }));
      return false;
    }
    try {
      transport.send(frame);
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_CONNECT_FAILED', `Could not send on the socket: ${describe(cause)}`, { cause }));
      return false;
    }
    this.#counters.messagesSent++;
    return true;
  }

  #flushQueue(transport: Transport): void {
    if (this.#queue === undefined || this.#queue.size === 0) return;
    for (const message of this.#queue.drain(this.#options.clock.now())) this.#write(transport, message);
  }

  /** Sends the subscribe hook's messages; false if the connection was replaced or the hook failed. */
  async #sendSubscribe(topics: string[], connection: Connection, isOpening = false): Promise<boolean> {
    const hook = this.#options.subscribe;
    if (hook === undefined || (topics.length === 0 && !isOpening)) return connection.generation === this.#generation;
    try {
      const messages = await hook({ topics, attempt: connection.attempt, isReconnect: connection.attempt > 0 });
      if (connection.generation !== this.#generation) return false;
      this.#writeAll(connection.transport!, messages);
      return true;
    } catch (cause) {
      if (connection.generation !== this.#generation) return false;
      this.#recycle(new ResilientStreamError('RS_SUBSCRIBE', `The subscribe hook failed for ${topics.join(', ')}: ${describe(cause)}`, { cause }));
      return false;
    }
  }

  #sendUnsubscribe(topics: string[]): void {
    const hook = this.#options.unsubscribe;
    const transport = this.#connection?.transport;
    if (hook === undefined || transport === undefined) return;
    try {
      this.#writeAll(transport, hook({ topics }));
    } catch (cause) {
      this.#emit('error', new ResilientStreamError('RS_SUBSCRIBE', `The unsubscribe hook failed for ${topics.join(', ')}: ${describe(cause)}`, { cause }));
    }
  }

  #writeAll(transport: Transport, messages: Out | Out[] | undefined): void {
    if (messages === undefined) return;
    if (Array.isArray(messages)) for (const message of messages) this.#write(transport, message);
    else this.#write(transport, messages);
  }

  /** Topics changed while the subscribe hook ran: send the difference so nothing is lost or doubled. */
  #reconcileTopics(sent: readonly string[], connection: Connection): void {
    const sentSet = new Set(sent);
    const added = [...this.#topics].filter((topic) => !sentSet.has(topic));
    const removed = sent.filter((topic) => !this.#topics.has(topic));
    if (removed.length > 0) this.#sendUnsubscribe(removed);
    if (added.length > 0) void this.#sendSubscribe(added, connection);
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────

  #emit<E extends keyof ResilientStreamEvents<In, Out>>(event: E, payload: Parameters<ResilientStreamEvents<In, Out>[E]>[0]): void {
    this.emitSafe(event, payload, this.#onListenerError);
  }

  #listenerFailed(cause: unknown, event: string): void {
    // A throwing `error` listener is swallowed: reporting it would loop.
    if (event === 'error') return;
    const error = new ResilientStreamError('RS_LISTENER', `A listener of '${event}' threw: ${describe(cause)}`, { cause, event });
    this.emitSafe('error', error, () => {});
  }

  #redact(text: string, connection: Connection): string {
    return connection.rawUrl === undefined ? text : redactText(text, connection.rawUrl);
  }

  /** A cause whose message quotes the URL is replaced by a copy without the secrets. */
  #redactCause(cause: unknown, connection: Connection): unknown {
    if (!(cause instanceof Error)) return cause;
    const message = this.#redact(cause.message, connection);
    if (message === cause.message) return cause;
    const copy = new Error(message);
    copy.name = cause.name;
    return copy;
  }

  #clearConnectTimer(connection: Connection): void {
    if (connection.connectTimer === undefined) return;
    this.#options.clock.clearTimeout(connection.connectTimer);
    connection.connectTimer = undefined;
  }

  #normaliseTopics(topics: string | string[], method: string): string[] {
    const list = typeof topics === 'string' ? [topics] : topics;
    if (!Array.isArray(list) || list.some((topic) => typeof topic !== 'string' || topic === '')) {
      throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected ${method}() to get a non-empty string or an array of them, got ${JSON.stringify(topics)}.`);
    }
    return [...new Set(list)];
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
        if (o.reconnectOnOnline && this.#state === 'reconnecting') this.#wakeSoon();
      },
      wake: () => {
        if (o.checkOnWake) this.#liveness.check();
        if (o.reconnectOnOnline && this.#state === 'reconnecting') this.#wakeSoon();
      },
    });
  }

  /** Cuts the backoff wait short after a small uniform delay, so a fleet does not dial at once. */
  #wakeSoon(): void {
    const { clock, random, wakeJitterMs } = this.#options;
    const skip = this.#skipWait;
    if (skip === undefined || this.#wakeTimer !== undefined) return;
    this.#wakeTimer = clock.setTimeout(() => {
      this.#wakeTimer = undefined;
      if (this.#skipWait === skip) skip();
    }, random() * wakeJitterMs);
  }
}
