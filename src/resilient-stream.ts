import { Connection, type ConnectionHost } from './connection.js';
import { closeFrame, isUnrequested, refusalOf, type ConnectionEnd } from './connection-end.js';
import { describe, ResilientStreamError } from './errors.js';
import { NO_SEQUENCE_COUNTS, streamHealth } from './health.js';
import { Inbound, type InboundHost, type MessageSink } from './inbound.js';
import { LivenessMonitor, staleError, type LivenessCallbacks } from './liveness.js';
import { Backpressure, type PauseHost } from './backpressure.js';
import { Outbound, type OutboundHost } from './outbound.js';
import { watchAbort, watchNetwork, type NetworkHost } from './platform.js';
import { nextEvent, waitForState, type WaitForOptions } from './promises.js';
import { Redialer, type RedialHost } from './redialer.js';
import { resolveOptions, type ResolvedOptions } from './resolve-options.js';
import { SafeEmitter } from './safe-emitter.js';
import { canTransition, isLive, isTerminal, type StreamState } from './state.js';
import { StormWatch, type StormCallbacks } from './storm-watch.js';
import { Subscriptions } from './subscriptions.js';
import { OptionalParts, usesParts, type PartsHost } from './parts.js';
import type { EventListenerOf, EventNameOf, EventPayloadOf, ResilientStreamEvents, RotatedEvent, StaleEvent, StreamHealth } from './events.js';
import type { ResilientStreamOptions } from './options.js';

/** Close code of the `close` event when the stream cuts a socket itself (stale, reconnect()). */
const RECYCLED = 4000;

type Events<In, Out, Data extends In = In> = ResilientStreamEvents<In, Out, Data>;
type Hub<In, Out> = ConnectionHost & PartsHost<In, Out> & MessageSink<In> & RedialHost & NetworkHost & PauseHost;

/**
 * A WebSocket feed that stays alive and honest: reconnects with jittered backoff, resubscribes, detects
 * silent and half-open sockets, resyncs after gaps, rotates without a gap and raises storm alerts, as
 * typed events. The conductor: it owns the state and the one teardown path and wires the modules that
 * do the work (redialer, rotator, liveness, resyncer...). See docs/ for every option, event and error.
 */
export class ResilientStream<In = unknown, Out = unknown, Data extends In = In> extends SafeEmitter<Events<In, Out, Data>> {
  readonly #options: ResolvedOptions<In, Out>;
  readonly #subscriptions: Subscriptions<Out>;
  readonly #liveness: LivenessMonitor;
  /** The resyncer and rotator when used, loaded on demand by the browser build. */
  #parts: OptionalParts<In, Out> | undefined;
  readonly #inbound: Inbound<In>;
  readonly #outbound: Outbound<Out>;
  readonly #storm: StormWatch;
  readonly #redialer: Redialer;
  readonly #hub: Hub<In, Out>;
  readonly #backpressure: Backpressure<In>;
  #state: StreamState = 'idle';
  /** Bumped at every teardown: a resync of an older generation can never deliver again. */
  #generation = 0;
  #connection: Connection | undefined;
  /** Dials since the last start(): every dial but the first is a reconnect. */
  #dials = 0;
  #reconnects = 0;
  #isClosing = false;
  /**
   * Set once a delivered message can go anywhere besides `message` listeners: a `data` listener,
   * an iterator or an optional part (the rotator) was ever added. Until then the per-message path
   * checks this one field instead of all three (about 20 ns a message in process).
   */
  #fansOut = false;
  #closing: Promise<void> | undefined;
  #unwatch: (() => void) | undefined;
  readonly #unwatchAbort: (() => void) | undefined;

  constructor(options: ResilientStreamOptions<In, Out, Data>) {
    super(ResilientStream.#listenerAdded);
    const o = (this.#options = resolveOptions(options));
    const hub = (this.#hub = new ResilientStream.#Hub<In, Out, Data>(this));
    this.#liveness = new LivenessMonitor(o, o.clock, hub);
    this.#inbound = new Inbound<In>(o, this.#liveness, hub, hub);
    this.#outbound = new Outbound<Out>(o, hub);
    this.#subscriptions = new Subscriptions<Out>(o.topics, this.#outbound, this.#liveness, hub);
    this.#storm = new StormWatch(o.storm, o.clock, hub);
    this.#redialer = new Redialer(o, this.#storm, hub);
    this.#backpressure = new Backpressure<In>(o, hub);
    this.#unwatchAbort = o.signal === undefined ? undefined : watchAbort(o.signal, () => void this.close());
    if (usesParts(o)) this.#parts = this.#newParts();
  }

  /**
   * The one object every module reports to, through its narrow callback interface: prototype methods,
   * no closure per callback (ten thousand idle streams add up). Inside the class to reach its state.
   */
  static readonly #Hub = class Hub<In, Out, Data extends In> implements LivenessCallbacks, ConnectionHost, InboundHost, OutboundHost,
    StormCallbacks, PartsHost<In, Out>, MessageSink<In>, RedialHost, NetworkHost, PauseHost {
    readonly #s: ResilientStream<In, Out, Data>;
    constructor(stream: ResilientStream<In, Out, Data>) {
      this.#s = stream;
    }
    get options(): ResolvedOptions<In, Out> { return this.#s.#options; }
    get liveness(): LivenessMonitor { return this.#s.#liveness; }
    get outbound(): Outbound<Out> { return this.#s.#outbound; }
    get inbound(): Inbound<In> { return this.#s.#inbound; }
    get sink(): MessageSink<In> { return this.#s.#parts?.resyncer ?? this; }
    get isPaused(): boolean { return this.#s.isPaused; }
    get connection(): Connection | undefined { return this.#s.#connection; }
    get stream(): ResilientStream<In, Out> { return this.#s as unknown as ResilientStream<In, Out>; }
    get isClosing(): boolean { return this.#s.#isClosing; }
    cannotStart(error: ResilientStreamError): void { if (this.#s.#canStart()) this.#s.#fail(error); }
    owns(connection: Connection): boolean { return connection === this.#s.#connection; }
    dial(attempt: number): void { this.#s.#dial(attempt); }
    opened(connection: Connection): void { void this.#s.#onOpen(connection); }
    controlFrame(): void { this.#s.#liveness.frames++; }
    pinged(connection: Connection, data: Uint8Array): void { if (connection.transport) this.#s.#outbound.pong(connection.transport, data); }
    ended(connection: Connection, end: ConnectionEnd): void { if (connection === this.#s.#connection) this.#s.#teardown(end); }
    /** Hands a message to listeners and iterators (data messages also to `data` listeners): the per-message path, so no hop. */
    deliver(message: In, topic: string | undefined, isData: boolean): void {
      const s = this.#s;
      s.emitSafe('message', message);
      if (s.#fansOut) this.#fanOut(message, topic, isData);
    }
    /** The rest of {@link deliver} once a `data` listener, an iterator or a part may want the message: out of line. */
    #fanOut(message: In, topic: string | undefined, isData: boolean): void {
      const s = this.#s;
      // Checked first: an emitSafe call for `data` with nobody listening measured ~50 ns a message
      // on this path (in process); with the check, the path measures the same as without the emit.
      if (isData && s.listenerCount('data') !== 0) s.emitSafe('data', message);
      s.#backpressure.push(message);
      s.#parts?.rotator?.delivered(message, topic);
    }
    emit<E extends keyof Events<In, Out>>(event: E, payload: EventPayloadOf<In, Out, E>): void { this.#s.emitSafe(event, payload); }
    error(error: ResilientStreamError): void { this.#s.emitSafe('error', error); }
    recycle(error: ResilientStreamError, code?: number): void { this.#s.#recycle(error, code); }
    setState(to: StreamState, reason: string): void { this.#s.#transition(to, reason); }
    isCurrent(generation: number): boolean { return generation === this.#s.#generation && !this.#s.#isClosing; }
    topics(): string[] { return this.#s.#subscriptions.list(); }
    ping(): boolean { return this.#s.#outbound.ping(this.#s.#connection?.transport); }
    dead(event: StaleEvent): void {
      this.#s.emitSafe('stale', event);
      this.#s.#recycle(staleError(event));
    }
    topicSilent(event: StaleEvent, final: boolean): void {
      if (final) return this.dead(event);
      this.#s.emitSafe('stale', event);
      if (event.topic !== undefined) this.#s.#subscriptions.resubscribe(event.topic);
    }
    rotatable(): Connection | undefined { return this.#s.#state === 'open' && !this.#s.#isClosing ? this.#s.#connection : undefined; }
    /** A rotation's replacement becomes the stream's socket; returns the one it replaced. */
    adopt(replacement: Connection): Connection | undefined {
      const previous = this.#s.#connection;
      this.#s.#connection = replacement;
      this.#s.#outbound.release(previous?.transport);
      this.#s.#subscriptions.watchAll();
      return previous;
    }
    lastSequence(key: string): number | undefined { return this.#s.#parts?.resyncer?.lastSequence(key); }
    duplicates(): number { return this.#s.#parts?.resyncer?.counts().duplicates ?? 0; }
    resync(): void { void this.#s.#parts?.resyncer?.afterOpen(this.#s.#generation, 'reconnect'); }
    rotated(event: RotatedEvent): void { this.#s.emitSafe('rotated', event); }
    received(count: number): void { this.#s.#inbound.received += count; }
    redialSoon(): void { this.#s.#redialer.wake(); }
    checkLiveness(): void { this.#s.#liveness.check(); }
    /** The first pause and the last resume: the socket and liveness follow. */
    paused(isPaused: boolean): void {
      const transport = this.#s.#connection?.transport;
      if (isPaused) transport?.pause();
      else transport?.resume();
      this.#s.#liveness[isPaused ? 'pause' : 'resume']();
    }
    dropForOffline(): void {
      // A requested end: it does not count as a failure; `online` cuts the wait short.
      if (this.#s.#connection?.liveAt === undefined) return;
      this.#s.#teardown({ kind: 'requested', code: RECYCLED, reason: 'The browser went offline; reconnecting when it is back.', waitMs: this.#s.#options.backoff.maxDelayMs });
    }
  };

  /** The current lifecycle state. */
  get state(): StreamState {
    return this.#state;
  }

  /** The desired subscriptions (sent after every open). */
  get topics(): ReadonlySet<string> {
    return this.#subscriptions.topics;
  }

  /** True while paused by `pause()` or by an async iterator whose buffer is full. */
  get isPaused(): boolean {
    return this.#backpressure.isPaused;
  }

  /** Begins connecting. Idempotent; after `failed` it starts over with a fresh attempt count. */
  start(): this {
    if (this.#state === 'closed' || this.#isClosing) {
      throw new ResilientStreamError('RS_CLOSED', 'Expected a stream that is not closed, but start() was called after close() or after its `signal` aborted.');
    }
    if (!this.#canStart()) return this;
    this.#unwatch ??= watchNetwork(this.#options, this.#hub);
    this.#dials = 0;
    if (this.#parts === undefined) this.#redialer.start();
    else this.#parts.whenReady(() => this.#canStart() && this.#redialer.start());
    return this;
  }

  /** Encodes now; sends if live, else queues (also before start()). False when not accepted. */
  send(message: Out): boolean {
    if (isTerminal(this.#state) || this.#isClosing) return false;
    const connection = this.#connection;
    return this.#outbound.send(message, connection?.liveAt === undefined ? undefined : connection.transport);
  }

  /** Adds topics to the desired set; sends the subscribe messages now if live. */
  subscribe(topics: string | string[]): void {
    this.#subscriptions.add(topics);
  }

  /** Removes topics from the desired set; sends the unsubscribe messages now if live. */
  unsubscribe(topics: string | string[]): void {
    this.#subscriptions.remove(topics);
  }

  /** Drops the current socket (or cuts a backoff wait short) and dials at once. Never counts as a failure. */
  reconnect(reason = 'reconnect() called'): void {
    if (this.#isClosing || this.#state === 'idle' || isTerminal(this.#state)) return;
    if (this.#connection === undefined) this.#redialer.skip();
    else this.#teardown({ kind: 'requested', code: RECYCLED, reason, waitMs: 0 });
  }

  /** Make-before-break: a replacement takes over once overlap is proven; rejects with RS_ROTATION_FAILED (the socket stays). */
  rotate(): Promise<void> {
    return (this.#parts ??= this.#newParts()).rotate();
  }

  /** Closes for good: sends a close frame (code 1000 or 3000-4999, reason <= 123 UTF-8 bytes), waits up to `closeTimeoutMs`, releases everything. Idempotent. */
  close(code = 1000, reason = ''): Promise<void> {
    // A listener that calls close() while this one runs (its reports are emitted first) gets the same promise.
    if (this.#isClosing && this.#closing === undefined) return Promise.resolve().then(() => this.#closing);
    this.#closing ??= this.#close(code, reason);
    return this.#closing;
  }

  /** Backpressure: stops reading the socket (browsers hold up to `iteratorBufferSize` frames); staleness waits, pings go on. */
  pause(): void {
    this.#backpressure.holdForUser(true);
  }

  /** Reads the socket again after `pause()`; deadlines restart from now. */
  resume(): void {
    this.#backpressure.holdForUser(false);
  }

  /** Resolves in one of `states`; rejects with RS_CLOSED, the failure's error, RS_TIMEOUT or the signal's reason. */
  waitFor(states: StreamState | readonly StreamState[], options?: WaitForOptions): Promise<StreamState> {
    return waitForState(this, this.#options.clock, typeof states === 'string' ? [states] : states, options);
  }

  /** The next `event`'s payload as a promise (rejects with RS_CLOSED if the stream closes first). */
  override once<E extends EventNameOf<In, Out, Data>>(event: E): Promise<Parameters<EventListenerOf<In, Out, Data, E>>[0]>;
  override once<E extends EventNameOf<In, Out, Data>>(event: E, listener: EventListenerOf<In, Out, Data, E>, context?: unknown): this;
  override once<E extends EventNameOf<In, Out, Data>>(event: E, listener?: EventListenerOf<In, Out, Data, E>, context?: unknown): this | Promise<Parameters<EventListenerOf<In, Out, Data, E>>[0]> {
    if (listener !== undefined) return super.once(event, listener, context);
    return nextEvent<Parameters<EventListenerOf<In, Out, Data, E>>[0]>(this, this.#options.clock, event, (resolve) => {
      const once: EventListenerOf<In, Out, Data, E> = (...args) => resolve(args[0]);
      super.once(event, once);
      return () => this.off(event, once);
    });
  }

  /** A snapshot for dashboards, probes and metrics. */
  health(): StreamHealth {
    const connection = this.#connection;
    const { resyncer, rotator } = this.#parts ?? {};
    return streamHealth({
      now: this.#options.clock.now(), state: this.#state, liveness: this.#liveness, topics: this.#subscriptions.list(),
      liveSince: isLive(this.#state) ? connection?.openedAt : undefined, openedAt: connection?.openedAt,
      isResyncing: (topic) => resyncer?.isResyncing(topic) ?? false,
      counts: {
        attempt: this.#redialer.attempt, reconnects: this.#reconnects, messagesReceived: this.#inbound.received, ...this.#outbound.counts(),
        ...(resyncer?.counts() ?? NO_SEQUENCE_COUNTS), storm: this.#storm.active, paused: this.isPaused, rotations: rotator?.count ?? 0,
      },
      rotationDuplicates: rotator?.duplicates ?? 0,
    });
  }

  /** Messages until the stream is closed or fails. Each iterator has its own bounded buffer (see `iteratorOverflow`). */
  [Symbol.asyncIterator](): AsyncIterator<In> {
    this.#fansOut = true;
    return this.#backpressure.iterator(isTerminal(this.#state) || this.#isClosing);
  }

  /** `await using stream = ...` closes the stream at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #canStart(): boolean {
    return (this.#state === 'idle' || this.#state === 'failed') && !this.#isClosing;
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
    this.#subscriptions.watchAll();
    this.#parts?.resyncer?.beginHold(this.#generation);
    if (!(await this.#subscriptions.open(connection))) return;
    connection.markLive();
    this.#redialer.live();
    this.#parts?.live(connection);
    this.#outbound.flush(connection.transport!);
    this.#storm.opened();
    await this.#parts?.resyncer?.afterOpen(this.#generation, connection.isReconnect ? 'reconnect' : 'connect');
    if (connection === this.#connection && this.#state === 'connecting') this.#transition('open', 'subscribed');
  }

  /**
   * The one way a connection ends: silence the socket, decide what follows, then tell listeners.
   * Any emit may re-enter (a listener may call close()), so later steps check close() did not take over.
   */
  #teardown(end: ConnectionEnd): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    const rotation = this.#parts?.rotator?.current;
    if (rotation?.isLive === true && isUnrequested(end) && !this.#isClosing) {
      // The old socket died mid-rotation: the subscribed replacement takes over, still deduplicated.
      connection.dispose(end.error);
      return this.#parts!.rotator!.proven(rotation, true);
    }
    this.#parts?.rotator?.abandon('the socket it was replacing ended');
    this.#connection = undefined;
    this.#generation++;
    this.#liveness.stop();
    this.#parts?.resyncer?.cancel();
    connection.dispose(end.error);
    this.#outbound.release(connection.transport);
    const closed = connection.openedAt === undefined ? undefined : { code: end.code ?? 1006, reason: end.reason ?? '', wasClean: end.wasClean ?? false };
    if (this.#isClosing) {
      if (closed !== undefined) this.emitSafe('close', { ...closed, willReconnect: false });
      return;
    }
    const [refusal, listenerError] = end.isFatal === true ? [end.error] : isUnrequested(end) ? refusalOf(end, this.#options.shouldReconnect) : [];
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

  /** Gives up: the state first, iterators next, the error last (its listener may call start()). */
  #fail(error: ResilientStreamError): void {
    this.#redialer.stop();
    // Optional parts that could not be fetched fail a stream that never dialed: through `connecting`.
    if (this.#canStart()) this.#transition('connecting', 'loading optional parts');
    this.#transition('failed', error.message);
    // A `state` listener that called close() has ended everything; nothing follows `closed`.
    if (this.#isClosing) return;
    this.#backpressure.end(error);
    this.emitSafe('error', error);
  }

  async #close(code: number, reason: string): Promise<void> {
    this.#isClosing = true;
    [code, reason] = closeFrame(code, reason, (error) => this.emitSafe('error', error));
    this.#redialer.stop();
    this.#parts?.rotator?.stop();
    this.#parts?.resyncer?.cancel();
    const connection = this.#connection;
    if (connection?.openedAt !== undefined) {
      this.#liveness.stop();
      await connection.closePolitely(code, reason, this.#options.closeTimeoutMs);
    }
    this.#teardown({ kind: 'closing', code, reason, wasClean: false });
    this.#unwatch?.();
    this.#unwatchAbort?.();
    this.#storm.stop();
    this.#outbound.clear();
    this.#backpressure.end();
    if (this.#state !== 'closed') this.#transition('closed', 'close() called');
  }

  // ── what the modules report ─────────────────────────────────────────────────────────────────

  /** Reports `error` and cuts the socket (terminated, not politely closed: it may be half-open). */
  #recycle(error: ResilientStreamError, code = RECYCLED): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.emitSafe('error', error);
    const kind = connection.liveAt === undefined ? 'dial-failed' : 'recycled';
    if (connection === this.#connection) this.#teardown({ kind, error, code, reason: error.code, wasClean: false });
  }

  #newParts(): OptionalParts<In, Out> {
    this.#fansOut = true;
    return new OptionalParts<In, Out>(this.#hub);
  }

  /** SafeEmitter calls it after each listener is added (private: a subclass's own method of any name cannot turn it off). */
  static #listenerAdded(this: ResilientStream<unknown, unknown>, event: string | symbol): void {
    if (event === 'data') this.#fansOut = true;
  }

  /** A listener threw: report it as RS_LISTENER. A throwing `error` listener is swallowed (reporting it would loop). */
  protected override listenerFailed(cause: unknown, event: string): void {
    if (event === 'error') return;
    this.emitSafe('error', new ResilientStreamError('RS_LISTENER', `A listener of '${event}' threw: ${describe(cause)}`, { cause, event }));
  }
}
