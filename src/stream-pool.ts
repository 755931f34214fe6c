import { systemClock } from './clock.js';
import { describe, ResilientStreamError } from './errors.js';
import { MessageIterator, type IteratorHost } from './message-iterator.js';
import { DialBudget } from './pool/dial-budget.js';
import { Placement } from './pool/placement.js';
import { SafeEmitter } from './safe-emitter.js';
import { memberOptions, poolSettings, RotationLock, type StreamPoolOptions } from './pool/pool-options.js';
import { topicList } from './validate.js';
import { ResilientStream } from './resilient-stream.js';
import { DEFAULTS } from './resolve-options.js';
import type { ResilientStreamEvents, StreamHealth } from './events.js';
import type { AttemptContext, ResilientStreamOptions } from './options.js';
import type { StreamState } from './state.js';

export type { StreamPoolOptions } from './pool/pool-options.js';

/** The pool's events: a stream's events, each listener also told the member's index in `pool.streams`. */
export type StreamPoolEvents<In = unknown, Out = unknown> = {
  [E in keyof ResilientStreamEvents<In, Out>]: (payload: Parameters<ResilientStreamEvents<In, Out>[E]>[0], index: number) => void;
};

/** A snapshot of the pool for dashboards, probes and metrics. */
export interface StreamPoolHealth {
  /** The pool's state, derived from its members (see `StreamPool.state`). */
  readonly state: StreamState;
  /** Each member's health, in `pool.streams` order. */
  readonly streams: StreamHealth[];
  /** Every topic with the index of the member that holds it. */
  readonly topics: Record<string, number>;
}

type EventName = keyof ResilientStreamEvents;
/** Every event but `message` (which also feeds the iterators). */
const EVENT_NAMES = ['state', 'open', 'data', 'stale', 'close', 'reconnecting', 'gap', 'resyncing', 'resynced', 'storm', 'stormEnd', 'rotated', 'error'] as const;
/** The same list, checked: fails to compile when the event map gains an event not listed. */
const FORWARDED: [Exclude<EventName, (typeof EVENT_NAMES)[number] | 'message'>] extends [never] ? readonly EventName[] : never = EVENT_NAMES;

/** How worrying each member state is; the pool shows its most worrying member's. */
const RANK: Readonly<Record<StreamState, number>> = { failed: 0, closed: 0, reconnecting: 1, idle: 2, connecting: 2, resyncing: 3, open: 4 };
/** The pause held by `pause()` (iterators hold their own). */
const USER_PAUSE = Object.freeze({});

/**
 * Many topics over several connections: each member is a `ResilientStream` holding at most
 * `maxTopicsPerConnection` topics. New topics go to the first member with room (a new member when
 * all are full); a topic never moves, and a member left with no topics is closed (unless it is the
 * last). Members' dials share one budget, events are forwarded with the member's index, and one
 * member's trouble never touches another's delivery. Browser-safe. See docs/pool.md.
 */
export class StreamPool<In = unknown, Out = unknown> extends SafeEmitter<StreamPoolEvents<In, Out>> {
  readonly #shared: ResilientStreamOptions<In, Out>;
  readonly #url: ResilientStreamOptions<In, Out>['url'];
  readonly #budget: DialBudget | undefined;
  readonly #placement: Placement<ResilientStream<In, Out>>;
  readonly #detach = new Map<ResilientStream<In, Out>, () => void>();
  readonly #retiring = new Set<Promise<void>>();
  #iterators: Set<MessageIterator<In>> | undefined;
  /** Who holds a pause: the user (`pause()`) or an iterator whose buffer is full; non-empty while paused. */
  readonly #pausedBy = new Set<object>();
  /** What the pool's iterators report to: a full one pauses every member, a drained one resumes them. */
  readonly #iteratorHost: IteratorHost<In> = {
    full: (iterator) => this.#hold(iterator, true),
    drained: (iterator) => this.#hold(iterator, false),
    returned: (iterator) => void this.#iterators?.delete(iterator),
  };
  #created = 0;
  /** Members never rotate at the same time: each rotation holds this lock (rotate.acquire). */
  readonly #rotationLock = new RotationLock();
  #started = false;
  #closing: Promise<void> | undefined;
  readonly #signal: AbortSignal | undefined;
  #onAbortSignal: (() => void) | undefined;

  /** @throws ResilientStreamError RS_INVALID_OPTIONS naming the field and the value. */
  constructor(options: StreamPoolOptions<In, Out>) {
    super();
    const { maxTopicsPerConnection, dialsPerSecond, topics, signal, shared } = poolSettings(options);
    this.#url = shared.url;
    this.#signal = signal;
    // Every member dials through the budget: the core awaits a url function before each dial.
    this.#shared = dialsPerSecond === undefined ? shared : { ...shared, url: (context) => this.#budgetedUrl(context) };
    this.#placement = new Placement(maxTopicsPerConnection);
    this.#grow(); // the first member checks every shared option, so bad ones throw here
    this.#budget = dialsPerSecond === undefined ? undefined : new DialBudget(dialsPerSecond, shared.clock ?? systemClock);
    this.#place(topics);
    if (signal !== undefined) this.#watchAbortSignal(signal);
  }

  /**
   * `closed` from the moment `close()` is called; `idle` before `start()`; otherwise the most
   * worrying member's state: `failed` (a member gave up or was closed directly) before
   * `reconnecting`, `connecting`, `resyncing`; `open` only when every member is open.
   */
  get state(): StreamState {
    if (this.#closing !== undefined) return 'closed';
    if (!this.#started) return 'idle';
    let worst: StreamState = 'open';
    for (const member of this.#placement.members) {
      const state = member.state === 'closed' ? 'failed' : member.state;
      if (RANK[state] < RANK[worst]) worst = state;
    }
    return worst;
  }

  /** The members, in index order. Closing an emptied member shifts the later ones down by one. */
  get streams(): readonly ResilientStream<In, Out>[] {
    return this.#placement.members;
  }

  /** Every topic the pool holds. */
  get topics(): ReadonlySet<string> {
    return new Set(this.#placement.topics());
  }

  /** Starts every member (members added later start at once). Idempotent; restarts failed members. */
  start(): this {
    if (this.#closing !== undefined) {
      throw new ResilientStreamError('RS_CLOSED', 'Expected a pool that is not closed, but start() was called after close() or after its `signal` aborted.');
    }
    this.#started = true;
    // A member closed directly (not through the pool) stays closed; the pool reports it as failed.
    for (const member of this.#placement.members) if (member.state !== 'closed') member.start();
    return this;
  }

  /** Sends to every member (each sends now if open, else queues). True when every member accepted it. */
  send(message: Out): boolean {
    if (this.#closing !== undefined) return false;
    let accepted = true;
    for (const member of this.#placement.members) accepted = member.send(message) && accepted;
    return accepted;
  }

  /** Backpressure for every member (see `ResilientStream.pause()`); members added meanwhile start paused. Idempotent. */
  pause(): void {
    this.#hold(USER_PAUSE, true);
  }

  /** Undoes `pause()`; members stay paused while a pool iterator's buffer is full. */
  resume(): void {
    this.#hold(USER_PAUSE, false);
  }

  /** True while paused by `pause()` or by a pool iterator whose buffer is full. */
  get isPaused(): boolean {
    return this.#pausedBy.size > 0;
  }

  /** Adds topics: each goes to the first member with room, or to a new member when all are full. No-op after close(). */
  subscribe(topics: string | string[]): void {
    const list = topicList(topics, 'subscribe');
    if (this.#closing === undefined) this.#place(list);
  }

  /** Removes topics from the members holding them; a member left with none is closed, unless it is the last. */
  unsubscribe(topics: string | string[]): void {
    const list = topicList(topics, 'unsubscribe');
    if (this.#closing !== undefined) return;
    for (const [member, taken] of this.#placement.release(list)) member.unsubscribe(taken);
    this.#retireEmptied();
  }

  /** The pool's state, every member's health and which member holds each topic. */
  health(): StreamPoolHealth {
    const members = this.#placement.members;
    const indexOf = new Map(members.map((member, index) => [member, index]));
    // fromEntries defines each key: assigning `topics['__proto__'] = 0` would drop that topic.
    const topics: Record<string, number> = Object.fromEntries([...this.#placement.owners()].map(([topic, member]) => [topic, indexOf.get(member)!]));
    return { state: this.state, streams: members.map((member) => member.health()), topics };
  }

  /** Closes every member (and members still closing after being emptied). Idempotent. */
  close(code?: number, reason?: string): Promise<void> {
    this.#closing ??= this.#close(code, reason);
    return this.#closing;
  }

  /** Every member's messages, until the pool closes. Each iterator has its own bounded buffer. */
  [Symbol.asyncIterator](): AsyncIterator<In> {
    const { iteratorBufferSize = DEFAULTS.iteratorBufferSize, iteratorOverflow = DEFAULTS.iteratorOverflow } = this.#shared;
    const iterator = new MessageIterator<In>(iteratorBufferSize, iteratorOverflow, this.#iteratorHost);
    if (this.#closing !== undefined) iterator.end();
    else (this.#iterators ??= new Set()).add(iterator);
    return iterator;
  }

  /** `await using pool = ...` closes the pool at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A listener threw: report it as RS_LISTENER from the same member. A throwing `error` listener is swallowed. */
  protected override listenerFailed(cause: unknown, event: string, index?: unknown): void {
    if (event === 'error') return;
    const error = new ResilientStreamError('RS_LISTENER', `A listener of '${event}' threw: ${describe(cause)}`, { cause, event });
    this.emitSafe('error', error, index);
  }

  // ── members ──────────────────────────────────────────────────────────────────────────────────

  #place(topics: Iterable<string>): void {
    const grown: ResilientStream<In, Out>[] = [];
    const given = this.#placement.place(topics, () => grown.push(this.#grow()));
    for (const [member, list] of given) member.subscribe(list);
    if (this.#started) for (const member of grown) member.start();
  }

  #grow(): ResilientStream<In, Out> {
    const member = new ResilientStream<In, Out>(memberOptions(this.#shared, this.#created, this.#rotationLock));
    this.#created++;
    this.#placement.add(member);
    this.#attach(member);
    if (this.isPaused) member.pause();
    return member;
  }

  /** Adds or removes one reason to be paused; the members follow the first and the last. */
  #hold(holder: object, isPausing: boolean): void {
    const wasPaused = this.isPaused;
    if (isPausing) this.#pausedBy.add(holder);
    else this.#pausedBy.delete(holder);
    if (wasPaused === this.isPaused) return;
    for (const member of this.#placement.members) {
      if (wasPaused) member.resume();
      else member.pause();
    }
  }

  /** Forwards the member's events with its index at the time of the event (none once it is retired). */
  #attach(member: ResilientStream<In, Out>): void {
    const onMessage = (message: In): void => this.#deliver(member, message);
    const forwarders = FORWARDED.map((event) => {
      const forward = (payload: unknown): void => {
        const index = this.#placement.members.indexOf(member);
        if (index !== -1) this.emitSafe(event, payload, index);
      };
      member.on(event, forward);
      return [event, forward] as const;
    });
    member.on('message', onMessage);
    this.#detach.set(member, () => {
      member.off('message', onMessage);
      for (const [event, forward] of forwarders) member.off(event, forward);
    });
  }

  #deliver(member: ResilientStream<In, Out>, message: In): void {
    const index = this.#placement.members.indexOf(member);
    if (index === -1) return;
    this.emitSafe('message', message, index);
    if (this.#iterators !== undefined) for (const iterator of this.#iterators) iterator.push(message);
  }

  /** Closes members left without topics, keeping at least one (so send() and state still mean something). */
  #retireEmptied(): void {
    const members = this.#placement.members;
    for (let index = members.length - 1; index >= 0 && members.length > 1; index--) {
      const member = members[index]!;
      if (this.#placement.loadOf(member) > 0) continue;
      this.#placement.remove(member);
      this.#detach.get(member)?.();
      this.#detach.delete(member);
      const closing = member.close();
      this.#retiring.add(closing);
      void closing.finally(() => this.#retiring.delete(closing));
    }
  }

  async #budgetedUrl(context: AttemptContext): Promise<string | URL> {
    // Honours the dial's signal: close() or a connect timeout takes the member out of the queue.
    await this.#budget!.acquire(context.signal);
    const url = this.#url;
    return typeof url === 'function' ? url(context) : url;
  }

  async #close(code: number | undefined, reason: string | undefined): Promise<void> {
    if (this.#onAbortSignal !== undefined) this.#signal?.removeEventListener('abort', this.#onAbortSignal);
    await Promise.all([...this.#placement.members.map((member) => member.close(code, reason)), ...this.#retiring]);
    for (const iterator of this.#iterators ?? []) iterator.end();
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
}
