import type { EventEmitter } from 'eventemitter3';
import { Connection, type ConnectionHost } from './connection.js';
import { isUnrequested, type ConnectionEnd } from './connection-end.js';
import { describe, ResilientStreamError } from './errors.js';
import { Inbound, type InboundHost, type MessageSink } from './inbound.js';
import { LivenessMonitor, type LivenessCallbacks } from './liveness.js';
import { attachLogger, pickLogger } from './logging.js';
import { MessageIterator, type IteratorHost } from './message-iterator.js';
import { Outbound, type OutboundHost } from './outbound.js';
import { watchPlatform } from './platform.js';
import { nextEvent, waitForState, type WaitForOptions } from './promises.js';
import { Redialer, type RedialHost } from './redialer.js';
import { Rotation, Rotator, type RotationHost } from './rotation.js';
import type { OverlapMode } from './overlap.js';
import { toRange } from './sequence.js';
import { resolveOptions, type ResolvedOptions } from './resolve-options.js';
import { Resyncer, type ResyncCallbacks } from './resyncer.js';
import { SafeEmitter } from './safe-emitter.js';
import { canTransition, isLive, isTerminal, type StreamState } from './state.js';
import { StormWatch, type StormCallbacks } from './storm-watch.js';
import type { ResilientStreamEvents, StaleEvent, StreamHealth, TopicHealth } from './events.js';
import type { ResilientStreamOptions } from './options.js';
import type { Transport } from './transport.js';

const NORMAL_CLOSE = 1000;
const NO_SEQUENCE_COUNTS = Object.freeze({ duplicates: 0, gaps: 0, resyncs: 0 });
/** Close code of the `close` event when the stream cuts a socket itself (stale, reconnect()). */
const RECYCLED = 4000;

type Events<In, Out, Data extends In = In> = ResilientStreamEvents<In, Out, Data>;
type Payload<In, Out, E extends keyof Events<In, Out>> = Parameters<Events<In, Out>[E]>[0];
type EventName<In, Out, Data extends In> = EventEmitter.EventNames<Events<In, Out, Data>>;
type EventArgs<In, Out, Data extends In, E extends EventName<In, Out, Data>> = EventEmitter.ArgumentMap<Events<In, Out, Data>>[Extract<E, keyof Events<In, Out, Data>>];
/** Who holds a pause: the user, or an iterator whose buffer is full. */
type PauseHolder = object;
const USER_PAUSE: PauseHolder = Object.freeze({});

/**
 * A WebSocket feed that stays alive and honest: it reconnects with jittered backoff, resubscribes,
 * detects silent and half-open sockets, resyncs state after gaps and raises reconnect-storm alerts,
 * all as typed events. The conductor: it owns the state and the one teardown path, and wires the
 * modules that do the work (the redialer owns the attempt loop). See docs/ for every option,
 * event and error.
 */
export class ResilientStream<In = unknown, Out = unknown, Data extends In = In> extends SafeEmitter<Events<In, Out, Data>> {
  readonly #options: ResolvedOptions<In, Out>;
  readonly #topics: Set<string>;
  readonly #liveness: LivenessMonitor;
  /** Only when `sequence` or `resync` is given: most streams need neither. */
  readonly #resyncer: Resyncer<In> | undefined;
  readonly #inbound: Inbound<In>;
  readonly #outbound: Outbound<Out>;
  readonly #storm: StormWatch;
  readonly #redialer: Redialer;
  readonly #hub: ConnectionHost & IteratorHost<In> & RotationHost<In, Out> & MessageSink<In>;
  #iterators: Set<MessageIterator<In>> | undefined;
  #state: StreamState = 'idle';
  /** Bumped at every teardown: a connection whose generation is older can never speak again. */
  #generation = 0;
  #connection: Connection | undefined;
  /** Dials since the last start(): every dial but the first is a reconnect. */
  #dials = 0;
  #reconnects = 0;
  #isClosing = false;
  #closing: Promise<void> | undefined;
  #unwatchPlatform: (() => void) | undefined;
  #onAbortSignal: (() => void) | undefined;
  /** Non-empty while paused; created on the first pause. */
  #pausedBy: Set<PauseHolder> | undefined;
  /** Created with the `rotate` option or on the first rotate(). */
  #rotator: Rotator<In, Out> | undefined;
  #rotations = 0;
  readonly #isNotice: ((message: In) => boolean) | undefined;

  constructor(options: ResilientStreamOptions<In, Out, Data>) {
    super();
    const o = (this.#options = resolveOptions(options));
    this.#topics = new Set(o.topics);
    const hub = new ResilientStream.#Hub<In, Out, Data>(this);
    this.#hub = hub;
    this.#liveness = new LivenessMonitor(o, o.clock, hub);
    this.#resyncer = o.sequence === undefined && o.resync === undefined ? undefined : new Resyncer<In>(o, hub);
    this.#inbound = new Inbound<In>(o, this.#liveness, this.#resyncer ?? hub, hub);
    this.#outbound = new Outbound<Out>(o, hub);
    this.#storm = new StormWatch(o.storm, o.clock, hub);
    this.#redialer = new Redialer(o, this.#storm, hub);
    this.#isNotice = o.rotate === false ? undefined : o.rotate.isNotice;
    if (o.signal !== undefined) this.#watchAbortSignal(o.signal);
    const logger = pickLogger(o.logger);
    if (logger !== undefined) attachLogger(this, logger);
  }

  /**
   * The one object every module reports to, implementing each module's narrow callback interface
   * with prototype methods: no closure per callback, which matters when a process holds ten
   * thousand idle streams. Declared inside the class so the stream's state stays private.
   */
  static readonly #Hub = class Hub<In, Out, Data extends In> implements LivenessCallbacks, ConnectionHost, InboundHost, OutboundHost,
    StormCallbacks, ResyncCallbacks<In>, MessageSink<In>, RedialHost, IteratorHost<In>, RotationHost<In, Out> {
    readonly #stream: ResilientStream<In, Out, Data>;
    constructor(stream: ResilientStream<In, Out, Data>) {
      this.#stream = stream;
    }
    owns(connection: Connection): boolean { return connection === this.#stream.#connection; }
    get options(): ResolvedOptions<In, Out> { return this.#stream.#options; }
    get liveness(): LivenessMonitor { return this.#stream.#liveness; }
    get outbound(): Outbound<Out> { return this.#stream.#outbound; }
    overlapMode(): OverlapMode<In> { return this.#stream.#overlapMode(); }
    rotatable(): Connection | undefined {
      const stream = this.#stream;
      return stream.#state === 'open' && !stream.#isClosing ? stream.#connection : undefined;
    }
    switchTo(rotation: Rotation<In, Out>): void { this.#stream.#switchTo(rotation); }
    get sink(): MessageSink<In> { return this.#stream.#resyncer ?? this; }
    dial(attempt: number): void { this.#stream.#dial(attempt); }
    opened(connection: Connection): void { void this.#stream.#onOpen(connection); }
    controlFrame(): void { this.#stream.#liveness.frames++; }
    pinged(connection: Connection, data: Uint8Array): void {
      if (connection.transport !== undefined) this.#stream.#outbound.pong(connection.transport, data);
    }
    ended(connection: Connection, end: ConnectionEnd): void {
      if (connection === this.#stream.#connection) this.#stream.#teardown(end);
    }
    deliver(message: In, topic: string | undefined, isData: boolean): void { this.#stream.#deliver(message, topic, isData); }
    emit<E extends keyof Events<In, Out>>(event: E, payload: Payload<In, Out, E>): void { this.#stream.emitSafe(event, payload); }
    error(error: ResilientStreamError): void { this.#stream.emitSafe('error', error); }
    recycle(error: ResilientStreamError, code?: number): void { this.#stream.#recycle(error, code); }
    setState(to: StreamState, reason: string): void { this.#stream.#transition(to, reason); }
    isCurrent(generation: number): boolean { return generation === this.#stream.#generation && !this.#stream.#isClosing; }
    topics(): string[] { return [...this.#stream.#topics]; }
    ping(): boolean { return this.#stream.#outbound.ping(this.#stream.#connection?.transport); }
    get isPaused(): boolean { return this.#stream.#pausedBy !== undefined && this.#stream.#pausedBy.size > 0; }
    full(iterator: MessageIterator<In>): void { this.#stream.#hold(iterator, true); }
    drained(iterator: MessageIterator<In>): void { this.#stream.#hold(iterator, false); }
    returned(iterator: MessageIterator<In>): void { this.#stream.#iterators?.delete(iterator); }
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
    this.#dials = 0;
    this.#redialer.start();
    return this;
  }

  /** Encodes now; sends if live, else queues (also before start()). False when not accepted. */
  send(message: Out): boolean {
    if (isTerminal(this.#state) || this.#isClosing) return false;
    return this.#outbound.send(message, this.#liveTransport());
  }

  /** Adds topics to the desired set; sends the subscribe messages now if live. */
  subscribe(topics: string | string[]): void {
    const added = normaliseTopics(topics, 'subscribe').filter((topic) => !this.#topics.has(topic));
    for (const topic of added) this.#topics.add(topic);
    const connection = this.#connection;
    if (added.length === 0 || connection?.liveAt === undefined) return;
    for (const topic of added) this.#liveness.watchTopic(topic);
    void this.#outbound.subscribe(added, this.#target(connection));
  }

  /** Removes topics from the desired set; sends the unsubscribe messages now if live. */
  unsubscribe(topics: string | string[]): void {
    const removed = normaliseTopics(topics, 'unsubscribe').filter((topic) => this.#topics.has(topic));
    for (const topic of removed) {
      this.#topics.delete(topic);
      this.#liveness.unwatchTopic(topic);
    }
    if (removed.length > 0) this.#outbound.unsubscribe(removed, this.#liveTransport());
  }

  /** Drops the current socket (or cuts a backoff wait short) and dials at once. Never counts as a failure. */
  reconnect(reason = 'reconnect() called'): void {
    if (this.#isClosing || this.#state === 'idle' || isTerminal(this.#state)) return;
    if (this.#connection === undefined) this.#redialer.skip();
    else this.#teardown({ kind: 'requested', code: RECYCLED, reason, waitMs: 0 });
  }

  /**
   * Make-before-break: dials a replacement socket while this one keeps delivering, subscribes it,
   * and switches delivery once overlap is proven (see `rotate` in docs/options.md). Resolves once
   * delivery has switched; rejects with RS_ROTATION_FAILED when it fails (the current socket stays).
   */
  rotate(): Promise<void> {
    return this.#ensureRotator().rotate('manual');
  }

  /** Closes for good: sends a close frame, waits up to `closeTimeoutMs`, releases everything. Idempotent. */
  close(code = NORMAL_CLOSE, reason = ''): Promise<void> {
    this.#closing ??= this.#close(code, reason);
    return this.#closing;
  }

  /**
   * Backpressure: stops reading the socket (Node's ws pauses the TCP socket; a browser socket holds
   * up to `iteratorBufferSize` frames). Data staleness is suspended (the consumer is slow, not the
   * feed); pings still go out. Idempotent; `resume()` undoes it.
   */
  pause(): void {
    this.#hold(USER_PAUSE, true);
  }

  /** Reads the socket again after `pause()`; deadlines restart from now. */
  resume(): void {
    this.#hold(USER_PAUSE, false);
  }

  /** True while paused by `pause()` or by an async iterator whose buffer is full. */
  get isPaused(): boolean {
    return this.#pausedBy !== undefined && this.#pausedBy.size > 0;
  }

  /**
   * Resolves when the stream is in one of `states` (at once if it is). Rejects with RS_CLOSED if
   * it closes first, the failure's error if it fails first, RS_TIMEOUT after `timeoutMs`, and the
   * signal's reason on abort.
   */
  waitFor(states: StreamState | readonly StreamState[], options?: WaitForOptions): Promise<StreamState> {
    return waitForState(this, this.#options.clock, typeof states === 'string' ? [states] : states, options);
  }

  /** The next `event`'s payload as a promise (rejects with RS_CLOSED if the stream closes first). */
  override once<E extends EventName<In, Out, Data>>(event: E): Promise<EventArgs<In, Out, Data, E>[0]>;
  override once<E extends EventName<In, Out, Data>>(event: E, listener: EventEmitter.EventListener<Events<In, Out, Data>, E>, context?: unknown): this;
  override once<E extends EventName<In, Out, Data>>(event: E, listener?: EventEmitter.EventListener<Events<In, Out, Data>, E>, context?: unknown)
    : this | Promise<EventArgs<In, Out, Data, E>[0]> {
    if (listener !== undefined) return super.once(event, listener, context);
    return nextEvent<EventArgs<In, Out, Data, E>[0]>(this, this.#options.clock, event, (resolve) => {
      const listener: EventEmitter.EventListener<Events<In, Out, Data>, E> = (...args) => resolve(args[0]);
      super.once(event, listener);
      return () => this.off(event, listener);
    });
  }

  /** A snapshot for dashboards, probes and metrics. */
  health(): StreamHealth {
    const now = this.#options.clock.now();
    this.#liveness.sample();
    const lastMessageAt = this.#liveness.lastDataAt() ?? null;
    const topics: Record<string, TopicHealth> = {};
    for (const topic of this.#topics) {
      const state = this.#liveness.topicState(topic);
      topics[topic] = { lastMessageAt: state?.lastAt ?? null, stale: state?.stale ?? false, resyncing: this.#resyncer?.isResyncing(topic) ?? false };
    }
    const liveSince = isLive(this.#state) ? this.#connection?.openedAt ?? null : null;
    return {
      state: this.#state,
      connected: liveSince !== null,
      lastMessageAt,
      lastMessageAgeMs: lastMessageAt === null ? null : Math.max(0, now - lastMessageAt),
      connectedSince: liveSince,
      attempt: this.#redialer.attempt,
      reconnects: this.#reconnects,
      messagesReceived: this.#inbound.received,
      ...this.#outbound.counts(),
      ...(this.#resyncer?.counts() ?? NO_SEQUENCE_COUNTS),
      storm: this.#storm.active,
      staleThresholdMs: this.#liveness.staleThresholdMs ?? null,
      paused: this.isPaused,
      rotations: this.#rotations,
      connectionAgeMs: this.#connection?.openedAt === undefined ? null : Math.max(0, now - this.#connection.openedAt),
      topics,
    };
  }

  /** Messages until the stream is closed or fails. Each iterator has its own bounded buffer. */
  [Symbol.asyncIterator](): AsyncIterator<In> {
    const iterator = new MessageIterator<In>(this.#options.iteratorBufferSize, this.#options.iteratorOverflow, this.#hub);
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
    // Once close() is called the only move left is to `closed` (a resync finishing during the
    // close handshake must not reopen the stream).
    if (from === to || (this.#isClosing && to !== 'closed')) return;
    if (!canTransition(from, to)) throw new Error(`resilient-stream bug: illegal transition ${from} -> ${to} (${reason})`);
    this.#state = to;
    this.emitSafe('state', { from, to, reason });
  }

  /** One dial for the redialer. A listener of the `connecting` state may end it before it starts. */
  #dial(attempt: number): void {
    const connection = new Connection(attempt, this.#dials++ > 0, this.#options, this.#hub, this.#inbound);
    this.#connection = connection;
    this.#transition('connecting', connection.isReconnect ? `reconnect attempt ${attempt}` : 'start');
    if (this.#connection === connection) connection.dial();
  }

  async #onOpen(connection: Connection): Promise<void> {
    this.emitSafe('open', { attempt: connection.attempt, isReconnect: connection.isReconnect, url: connection.url ?? '' });
    if (connection !== this.#connection) return;
    this.#liveness.start();
    for (const topic of this.#topics) this.#liveness.watchTopic(topic);
    this.#resyncer?.beginHold(this.#generation);
    const sent = [...this.#topics];
    if (!(await this.#outbound.subscribe(sent, this.#target(connection), true))) return;
    connection.markLive();
    this.#redialer.live();
    if (this.#options.rotate !== false) this.#ensureRotator().live(connection);
    this.#reconcileTopics(sent, connection);
    this.#outbound.flush(connection.transport!);
    this.#storm.opened();
    await this.#resyncer?.afterOpen(this.#generation, connection.isReconnect ? 'reconnect' : 'connect');
    if (connection === this.#connection && this.#state === 'connecting') this.#transition('open', 'subscribed');
  }

  /**
   * The one way a connection ends. Silences the socket, decides what follows (the redialer counts
   * unrequested ends), then tells listeners. Every emit may re-enter (a listener may call close()),
   * so each later step first checks that close() has not taken over.
   */
  #teardown(end: ConnectionEnd): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    const rotation = this.#rotator?.current;
    if (rotation?.isLive === true && isUnrequested(end) && !this.#isClosing) {
      // The old socket died mid-rotation: the subscribed replacement takes over, still deduplicated.
      connection.dispose(end.error);
      return this.#switchTo(rotation, true);
    }
    this.#rotator?.abandon('the socket it was replacing ended');
    this.#connection = undefined;
    this.#generation++;
    this.#liveness.stop();
    this.#resyncer?.cancel();
    connection.dispose(end.error);
    this.#outbound.release(connection.transport);
    const closed = connection.openedAt === undefined ? undefined
      : { code: end.code ?? 1006, reason: end.reason ?? '', wasClean: end.wasClean ?? false };
    if (this.#isClosing) {
      if (closed !== undefined) this.emitSafe('close', { ...closed, willReconnect: false });
      connection.onEnded?.();
      return;
    }
    const [refusal, listenerError] = end.isFatal === true ? [end.error] : isUnrequested(end) ? this.#refusal(end) : [];
    const healthy = connection.openedAt !== undefined && this.#options.clock.now() - connection.openedAt >= this.#options.backoff.resetAfterMs;
    const plan = this.#redialer.plan(end, healthy, refusal);
    if (end.report === true && end.error !== undefined) this.emitSafe('error', end.error);
    if (listenerError !== undefined) this.emitSafe('error', listenerError);
    if (closed !== undefined) this.emitSafe('close', { ...closed, willReconnect: plan.retry });
    if (this.#isClosing) return;
    if (!plan.retry) return this.#fail(plan.error);
    this.#transition('reconnecting', plan.reason);
    if (plan.storm !== undefined && !this.#isClosing) this.emitSafe('storm', plan.storm);
    if (this.#isClosing) return;
    this.#reconnects++;
    this.emitSafe('reconnecting', { attempt: plan.attempt, delayMs: plan.delayMs, reason: plan.reason });
    if (!this.#isClosing) this.#redialer.follow(plan);
  }

  /** `shouldReconnect`'s verdict: the terminal error when it says no, and the error when it threw. */
  #refusal(end: ConnectionEnd): [ResilientStreamError | undefined, ResilientStreamError | undefined] {
    try {
      if (this.#options.shouldReconnect({ code: end.code, reason: end.reason, status: end.status, error: end.error })) return [undefined, undefined];
    } catch (cause) {
      return [undefined, new ResilientStreamError('RS_LISTENER', `shouldReconnect threw: ${describe(cause)}; reconnecting anyway.`, { cause, event: 'shouldReconnect' })];
    }
    const detail = end.status !== undefined ? `HTTP ${end.status}` : end.code !== undefined ? `close code ${end.code}` : describe(end.error);
    return [new ResilientStreamError('RS_FATAL_CLOSE', `Not reconnecting after ${detail} (shouldReconnect).`, {
      cause: end.error, status: end.status, closeCode: end.code, closeReason: end.reason }), undefined];
  }

  /** Gives up: the state first, iterators next, the error last (its listener may call start()). */
  #fail(error: ResilientStreamError): void {
    this.#redialer.stop();
    this.#transition('failed', error.message);
    // A `state` listener that called close() has ended everything; nothing follows `closed`.
    if (this.#isClosing) return;
    this.#endIterators(error);
    this.emitSafe('error', error);
  }

  async #close(code: number, reason: string): Promise<void> {
    this.#isClosing = true;
    this.#redialer.stop();
    this.#rotator?.stop();
    this.#resyncer?.cancel();
    const connection = this.#connection;
    if (connection?.transport !== undefined && connection.openedAt !== undefined) {
      await this.#closeHandshake(connection, code, reason);
    }
    this.#teardown({ kind: 'closing', code, reason, wasClean: false });
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

  // ── rotation ─────────────────────────────────────────────────────────────────────────────────

  #ensureRotator(): Rotator<In, Out> {
    return (this.#rotator ??= new Rotator<In, Out>(this.#hub));
  }

  /** How a replacement proves overlap: by `sequence`, else `dedupeKey`, else its first data message. */
  #overlapMode(): OverlapMode<In> {
    const { sequence, topicOf, dedupeKey } = this.#options;
    const resyncer = this.#resyncer;
    if (sequence !== undefined && resyncer !== undefined) {
      return {
        kind: 'sequence',
        rangeOf: (message, topic) => {
          const range = toRange(guard(() => sequence(message)));
          return range === undefined || range === 'invalid' ? undefined : { key: topicOf === undefined ? '' : topic ?? '', first: range[0], last: range[1] };
        },
        lastOf: (key) => resyncer.lastSequence(key),
      };
    }
    if (dedupeKey !== undefined) return { kind: 'key', keyOf: (message) => guard(() => dedupeKey(message)) };
    return { kind: 'first-data' };
  }

  /**
   * Delivery moves to the rotation's replacement: the old socket (unless it already died) retires
   * with 1000 and says nothing more; what the replacement buffered is replayed through the usual
   * pipeline, which drops what was delivered already. No `close`, `open` or `reconnecting`.
   */
  #switchTo(rotation: Rotation<In, Out>, hasTakenOver = false): void {
    const previous = this.#connection;
    const replacement = rotation.replacement;
    this.#connection = replacement;
    rotation.dispose(true);
    if (previous !== undefined) {
      this.#outbound.release(previous.transport);
      if (!hasTakenOver) this.#rotator!.retire(previous);
    }
    this.#liveness.start();
    for (const topic of this.#topics) this.#liveness.watchTopic(topic);
    const duplicatesBefore = this.#resyncer?.counts().duplicates ?? 0;
    const gapless = rotation.proof.isGapless;
    const { items, dropped } = rotation.proof.replay();
    for (const item of items) {
      if (this.#connection !== replacement) return;
      this.#hub.sink.deliver(item.message, item.topic, item.isData);
    }
    rotation.drainInto(() => this.#switched(rotation, dropped - duplicatesBefore, gapless));
  }

  /** Delivery fully moved (key mode: after draining): the replacement reads straight into the pipeline. */
  #switched(rotation: Rotation<In, Out>, dropped: number, gapless: boolean): void {
    const replacement = rotation.replacement;
    if (this.#connection !== replacement || replacement.transport === undefined) return;
    replacement.transport.redirect(this.#inbound);
    this.#outbound.flush(replacement.transport);
    this.#rotations++;
    this.#rotator!.switched(rotation);
    this.#rotator!.live(replacement);
    const duplicatesDropped = dropped + rotation.drainDropped + (this.#resyncer?.counts().duplicates ?? 0);
    const overlapMs = this.#options.clock.now() - rotation.startedAt;
    // Overlap not proven with `sequence` set: the resync hook rebuilds state on the new socket.
    if (!gapless && this.#options.sequence !== undefined) void this.#resyncer?.afterOpen(this.#generation, 'reconnect');
    this.emitSafe('rotated', { reason: rotation.reason, overlapMs, duplicatesDropped, gapless });
  }

  #isNoticeSafe(message: In): boolean {
    return guard(() => this.#isNotice!(message)) === true;
  }

  // ── what the modules report ─────────────────────────────────────────────────────────────────

  /** Hands a message to listeners and iterators; data messages also to `data` listeners. */
  #deliver(message: In, topic: string | undefined, isData: boolean): void {
    this.emitSafe('message', message);
    if (isData) this.emitSafe('data', message);
    if (this.#iterators !== undefined) for (const iterator of this.#iterators) iterator.push(message);
    this.#rotator?.current?.delivered(message, topic);
    if (this.#isNotice !== undefined && this.#isNoticeSafe(message)) void this.#ensureRotator().rotate('notice').catch(() => {});
  }

  /** Adds or removes one reason to be paused; the socket and liveness follow the first and the last. */
  #hold(holder: PauseHolder, isPausing: boolean): void {
    const pausedBy = (this.#pausedBy ??= new Set());
    const wasPaused = pausedBy.size > 0;
    if (isPausing) pausedBy.add(holder);
    else pausedBy.delete(holder);
    if (wasPaused === pausedBy.size > 0) return;
    const transport = this.#connection?.transport;
    if (wasPaused) {
      this.#liveness.resume();
      transport?.resume();
    } else {
      this.#liveness.pause();
      transport?.pause();
    }
  }

  #onDead(event: StaleEvent): void {
    this.emitSafe('stale', event);
    const code = event.kind === 'heartbeat' ? 'RS_HEARTBEAT_TIMEOUT' : 'RS_STALE';
    const what = event.kind === 'heartbeat' ? 'Nothing arrived after a heartbeat ping'
      : event.kind === 'topic' ? `Topic ${event.topic} stayed silent after a resubscribe` : 'No data arrived';
    const message = `${what} for ${event.silentForMs} ms (threshold ${event.thresholdMs} ms); reconnecting.`;
    this.#recycle(new ResilientStreamError(code, message, { topic: event.topic }));
  }

  #onTopicSilent(event: StaleEvent, final: boolean): void {
    if (final) return this.#onDead(event);
    this.emitSafe('stale', event);
    const connection = this.#connection;
    if (connection?.liveAt === undefined || event.topic === undefined) return;
    this.#outbound.unsubscribe([event.topic], connection.transport);
    void this.#outbound.subscribe([event.topic], this.#target(connection));
  }

  /** Reports `error` and cuts the socket (terminated, not politely closed: it may be half-open). */
  #recycle(error: ResilientStreamError, code = RECYCLED): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.emitSafe('error', error);
    const kind = connection.liveAt === undefined ? 'dial-failed' : 'recycled';
    if (connection === this.#connection) this.#teardown({ kind, error, code, reason: error.code, wasClean: false });
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────

  /** The socket to write on now, or undefined when not live (writes queue then). */
  #liveTransport(): Transport | undefined {
    const connection = this.#connection;
    return connection?.liveAt === undefined ? undefined : connection.transport;
  }

  /** Topics changed while the subscribe hook ran: send the difference so nothing is lost or doubled. */
  #reconcileTopics(sent: readonly string[], connection: Connection): void {
    const sentSet = new Set(sent);
    const added = [...this.#topics].filter((topic) => !sentSet.has(topic));
    const removed = sent.filter((topic) => !this.#topics.has(topic));
    if (removed.length > 0) this.#outbound.unsubscribe(removed, connection.transport);
    if (added.length > 0) void this.#outbound.subscribe(added, this.#target(connection));
  }

  #target(connection: Connection) {
    return { transport: connection.transport, attempt: connection.attempt, isReconnect: connection.isReconnect,
      isCurrent: () => connection === this.#connection };
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
        // A requested end: it does not count as a failure; `online` cuts the wait short.
        if (o.reconnectOnOffline && this.#connection?.liveAt !== undefined) {
          this.#teardown({ kind: 'requested', code: RECYCLED, reason: 'The browser went offline; reconnecting when it is back.', waitMs: o.backoff.maxDelayMs });
        }
      },
      online: () => {
        if (o.reconnectOnOnline) this.#redialer.wake();
      },
      wake: () => {
        if (o.checkOnWake) this.#liveness.check();
        if (o.reconnectOnOnline) this.#redialer.wake();
      },
    });
  }
}

/** Calls a user function for a yes/no or a key; a throw counts as "no answer" (the call site reports nothing more). */
function guard<R>(call: () => R): R | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}

/** Accepts one topic or a list; rejects empty or non-string topics. */
function normaliseTopics(topics: string | string[], method: string): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.some((topic) => typeof topic !== 'string' || topic === '')) {
    throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected ${method}() to get a non-empty string or an array of them, got ${describe(topics)}.`);
  }
  return [...new Set(list)];
}
