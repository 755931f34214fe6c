import { describe, ResilientStreamError } from './errors.js';
import { Fifo } from './fifo.js';
import { callHook, type HookOutcome } from './hook-call.js';
import { planBackfill, planReplay, SequenceTracker, toRange, type SequenceRange } from './sequence.js';
import { MAX_TOPIC_FAILURES, TopicHold, topicRetryDelayMs, type Held } from './topic-hold.js';
import type { GapEvent, ResyncedEvent, ResyncingEvent } from './events.js';
import type { GapAction, ResyncReason, ResyncResult } from './options.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { StreamState } from './state.js';

/** What the resyncer asks of its owner. */
export interface ResyncCallbacks<In> {
  deliver(message: In, topic: string | undefined, isData: boolean): void;
  emit(event: 'gap', payload: GapEvent): void;
  emit(event: 'resyncing', payload: ResyncingEvent): void;
  emit(event: 'resynced', payload: ResyncedEvent): void;
  emit(event: 'error', payload: ResilientStreamError): void;
  setState(to: StreamState, reason: string): void;
  isCurrent(generation: number): boolean;
  /** Report the error and replace the socket. */
  recycle(error: ResilientStreamError): void;
  topics(): string[];
}

/** The options the resyncer reads. */
export type ResyncConfig<In> = Pick<ResolvedOptions<In, unknown>,
  'sequence' | 'resync' | 'backfill' | 'onGap' | 'topicOf' | 'isData' | 'resyncTimeoutMs' | 'resyncBufferSize' | 'clock'>;

/** How often a snapshot older than the held messages is fetched again before giving up. */
const MAX_SNAPSHOT_TRIES = 5;

/** Why cancel() aborts a running hook. */
const CANCELLED = 'The socket closed while the resync hook ran (it was replaced, or close() was called).';

/**
 * Keeps delivered messages contiguous: drops duplicates, reports gaps and repairs them.
 *
 * After every open the `resync` hook runs stream-wide: every inbound message is held back, in
 * order, and the state is `resyncing`. A gap is answered per topic (with `topicOf`): only the
 * gapped key's messages are held while its `resync` hook run or `backfill` repairs it, every
 * other key keeps flowing, and the state stays `open`. Without `topicOf` a gap resync is
 * stream-wide, as after an open. When a snapshot S arrives, held messages it covers are dropped
 * and the rest replayed; a snapshot older than the first held message is fetched again
 * (Binance's local-book procedure). A backfill's messages are merged in order with the held ones.
 */
export class Resyncer<In> {
  readonly #options: ResyncConfig<In>;
  readonly #callbacks: ResyncCallbacks<In>;
  readonly #tracker = new SequenceTracker();
  /** Held by a stream-wide resync: every inbound message. */
  readonly #held = new Fifo<Held<In>>();
  #holdingAll = false;
  /** Keys held by a per-topic resync or a backfill. */
  readonly #holds = new Map<string, TopicHold<In>>();
  /** Messages held over #held and every TopicHold, against `resyncBufferSize`. */
  #heldCount = 0;
  #generation = -1;
  #abort: AbortController | undefined;
  #resyncs = 0;
  #missing = 0;

  constructor(options: ResyncConfig<In>, callbacks: ResyncCallbacks<In>) {
    this.#options = options;
    this.#callbacks = callbacks;
  }

  /** The last delivered sequence number on tracker `key` (`''` without `topicOf`), or undefined. Rotation proves overlap with it. */
  lastSequence(key: string): number | undefined {
    return this.#tracker.last(key);
  }

  /** Counters for health(): `missing` counts sequence numbers skipped or left unfilled by a backfill. */
  counts(): { duplicates: number; gaps: number; resyncs: number; missing: number } {
    return { duplicates: this.#tracker.duplicates, gaps: this.#tracker.gaps, resyncs: this.#resyncs, missing: this.#missing };
  }

  /** True while messages of `topic` are held back for a resync or a backfill. */
  isResyncing(topic: string): boolean {
    return this.#holdingAll || this.#holds.has(this.#options.topicOf === undefined ? '' : topic);
  }

  /** A socket opened: hold messages until afterOpen() has run the hook (if there is one). */
  beginHold(generation: number): void {
    this.#generation = generation;
    this.#holdingAll = this.#options.resync !== undefined;
  }

  /** Subscriptions are sent: run the open-time resync. */
  async afterOpen(generation: number, reason: ResyncReason): Promise<void> {
    if (this.#options.resync === undefined || !this.#callbacks.isCurrent(generation)) return;
    await this.#run(generation, reason, this.#callbacks.topics());
  }

  /** The socket is gone: abort every running hook and retry wait, and forget what was held. */
  cancel(): void {
    const reason = new ResilientStreamError('RS_RESYNC', CANCELLED);
    this.#abort?.abort(reason);
    this.#abort = undefined;
    for (const hold of this.#holds.values()) hold.cancel(reason);
    this.#holds.clear();
    this.#holdingAll = false;
    this.#held.clear();
    this.#heldCount = 0;
  }

  /** One decoded message (the hot path). */
  deliver(message: In, topic: string | undefined, isData: boolean): void {
    const sequence = this.#options.sequence;
    if (sequence === undefined) {
      if (this.#holdingAll) this.#hold(this.#held, { message, isData, topic, key: '', first: Number.NaN, last: Number.NaN });
      else this.#callbacks.deliver(message, topic, isData);
      return;
    }
    const key = this.#options.topicOf === undefined ? '' : topic ?? '';
    const value = this.#sequenceOf(message);
    // The usual answer, one number, needs no [n, n] pair: no allocation per message.
    if (Number.isSafeInteger(value)) return this.#process(message, isData, topic, key, value as number, value as number);
    const range = this.#rangeFrom(value);
    if (range === undefined) this.#process(message, isData, topic, key, Number.NaN, Number.NaN);
    else this.#process(message, isData, topic, key, range[0], range[1]);
  }

  /** The extractor's answer as a range; a throw or an unusable answer is reported and means "untracked". */
  #rangeOf(message: In): SequenceRange | undefined {
    return this.#rangeFrom(this.#sequenceOf(message));
  }

  /** What `sequence` says of `message`; undefined (untracked) when it throws, which is reported. */
  #sequenceOf(message: In): unknown {
    try {
      return this.#options.sequence!(message);
    } catch (cause) {
      this.#callbacks.emit('error', new ResilientStreamError('RS_LISTENER', `sequence threw: ${describe(cause)}`, { cause, event: 'sequence' }));
      return undefined;
    }
  }

  /** An extractor's answer as a range; an unusable one is reported and means "untracked". */
  #rangeFrom(value: unknown): SequenceRange | undefined {
    const range = toRange(value);
    if (range !== 'invalid') return range;
    this.#callbacks.emit('error', new ResilientStreamError('RS_SEQUENCE',
      `Expected \`sequence\` to return a safe integer, a [first, last] pair of them (first <= last) or undefined, got ${describe(value)}; the message is delivered untracked.`));
    return undefined;
  }

  /** The sequence rules for one message; allocates only when the message must be held. */
  #process(message: In, isData: boolean, topic: string | undefined, key: string, first: number, last: number): void {
    if (this.#holdingAll) return this.#hold(this.#held, { message, isData, topic, key, first, last });
    if (this.#holds.size !== 0) {
      const hold = this.#holds.get(key);
      if (hold !== undefined) return this.#hold(hold.items, { message, isData, topic, key, first, last });
    }
    if (Number.isNaN(first)) return this.#callbacks.deliver(message, topic, isData);
    const verdict = this.#tracker.check(key, first, last);
    if (verdict === 'duplicate') return;
    if (verdict !== 'gap') return this.#callbacks.deliver(message, topic, isData);
    this.#onGap({ message, isData, topic, key, first, last });
  }

  /** A gap before `item`: report it, then skip, resync or backfill as the options choose. */
  #onGap(item: Held<In>): void {
    const { key, first } = item;
    const generation = this.#generation;
    const expected = this.#tracker.lastGapExpected;
    const perTopic = this.#options.topicOf !== undefined;
    this.#callbacks.emit('gap', perTopic ? { expected, received: first, topic: key } : { expected, received: first });
    const action = this.#actionFor(perTopic ? key : undefined);
    if (action === 'skip') {
      this.#missing += first - expected;
      return this.#callbacks.deliver(item.message, item.topic, item.isData);
    }
    // A `gap` or `error` listener may have replaced the socket: nothing of this one is held or repaired.
    if (!this.#callbacks.isCurrent(generation)) return;
    // Undo the jump: the snapshot or the backfill decides where this message stands.
    this.#tracker.set(key, expected - 1);
    if (action === 'resync' && !perTopic) {
      this.#holdingAll = true;
      this.#hold(this.#held, item);
      void this.#run(generation, 'gap', this.#callbacks.topics());
      return;
    }
    const hold = new TopicHold<In>(key, generation, this.#options.clock);
    this.#holds.set(key, hold);
    this.#hold(hold.items, item);
    if (action === 'resync') void this.#resyncTopic(hold);
    else void this.#backfill(hold, expected - 1, first);
  }

  /** `onGap`'s answer when usable; otherwise (a throw, an unknown action, a hook not given) the default, reported. */
  #actionFor(topic: string | undefined): GapAction {
    const { resync, backfill, onGap } = this.#options;
    const fallback: GapAction = backfill !== undefined ? 'backfill' : resync !== undefined ? 'resync' : 'skip';
    if (onGap === undefined) return fallback;
    let answer: unknown;
    try {
      answer = onGap(topic);
    } catch (cause) {
      this.#callbacks.emit('error', new ResilientStreamError('RS_LISTENER', `onGap threw: ${describe(cause)}; using '${fallback}'.`, { cause, event: 'onGap' }));
      return fallback;
    }
    if (answer === 'skip' || (answer === 'resync' && resync !== undefined) || (answer === 'backfill' && backfill !== undefined)) return answer;
    this.#callbacks.emit('error', new ResilientStreamError('RS_LISTENER',
      `Expected onGap to return 'skip', or 'resync'/'backfill' with that hook given, got ${describe(answer)}; using '${fallback}'.`, { event: 'onGap' }));
    return fallback;
  }

  #hold(queue: Fifo<Held<In>>, item: Held<In>): void {
    const limit = this.#options.resyncBufferSize;
    if (this.#heldCount < limit) {
      this.#heldCount++;
      queue.push(item);
      return;
    }
    this.#callbacks.recycle(new ResilientStreamError('RS_RESYNC',
      `Expected the resync to finish before ${limit} messages were held (resyncBufferSize); reconnecting instead of dropping any.`));
  }

  /** Feeds held messages through the sequence rules again; stops if a listener replaces the socket. */
  #replay(items: readonly Held<In>[], dropped: ReadonlySet<Held<In>>, generation: number): number {
    let replayed = 0;
    for (const item of items) {
      // A listener may replace the socket mid-replay; a replaced socket must never speak again.
      if (!this.#callbacks.isCurrent(generation)) break;
      if (dropped.has(item)) continue;
      // A gap found on the way holds the rest again (#process routes it): count only what went on.
      if (!this.#holdingAll && !this.#holds.has(item.key)) replayed++;
      this.#process(item.message, item.isData, item.topic, item.key, item.first, item.last);
    }
    return replayed;
  }

  // ── stream-wide resync: after an open, or a gap without topicOf ──────────────────────────────

  async #run(generation: number, reason: ResyncReason, topics: string[]): Promise<void> {
    const { clock } = this.#options;
    const startedAt = clock.now();
    this.#resyncs++;
    this.#callbacks.setState('resyncing', `resync (${reason})`);
    this.#callbacks.emit('resyncing', { reason, topics });
    for (let attempt = 1; attempt <= MAX_SNAPSHOT_TRIES; attempt++) {
      const abort = (this.#abort = new AbortController());
      const outcome = await this.#call(abort, 'resync', (signal) => this.#options.resync!({ reason, topics, signal }));
      if (this.#abort === abort) this.#abort = undefined;
      if (!this.#callbacks.isCurrent(generation)) return;
      if (!outcome.ok) return this.#callbacks.recycle(outcome.error);
      const applied = this.#applyAll(outcome.value, reason, topics, generation);
      if (applied === undefined) continue;
      // A listener replaced the socket during the replay: that socket's resync is over, unreported.
      if (!this.#callbacks.isCurrent(generation)) return;
      // A gap found while replaying has already started the next resync: stay in `resyncing`.
      if (!this.#holdingAll) this.#callbacks.setState('open', `resynced (${reason})`);
      this.#emitResynced({ reason, durationMs: clock.now() - startedAt, ...applied, attempts: attempt, topics, backfilled: 0, missing: 0 });
      return;
    }
    this.#callbacks.recycle(new ResilientStreamError('RS_RESYNC',
      `Expected a snapshot at or after the first held message, but ${MAX_SNAPSHOT_TRIES} snapshots in a row were older; reconnecting.`));
  }

  /** `resynced` with the backfill counts (0 for a snapshot resync). */
  #emitResynced(event: ResyncedEvent & { readonly backfilled: number; readonly missing: number }): void {
    this.#callbacks.emit('resynced', event);
  }

  #call<R>(abort: AbortController, name: string, hook: (signal: AbortSignal) => R | Promise<R>): Promise<HookOutcome<R>> {
    return callHook(hook, abort, name, this.#options.resyncTimeoutMs, this.#options.clock);
  }

  /** Applies a stream-wide snapshot to the held messages; undefined when it is too old (try again). */
  #applyAll(result: ResyncResult | void, reason: ResyncReason, topics: string[], generation: number): { replayed: number; dropped: number } | undefined {
    const items = this.#held.toArray();
    const keys = this.#resyncedKeys(reason, topics, items);
    const snapshots = this.#snapshots(result, keys);
    const dropped = new Set<Held<In>>();
    for (const [key, sequence] of snapshots) {
      const keyed = items.filter((item) => item.key === key && !Number.isNaN(item.first));
      const plan = planReplay(keyed, sequence, (item) => [item.first, item.last] as const);
      if (!plan.ok) return undefined;
      for (let i = 0; i < plan.drop; i++) dropped.add(keyed[i]!);
    }
    for (const [key, sequence] of snapshots) this.#tracker.set(key, sequence);
    // A resynced key the hook gave no sequence for starts counting again at its next message;
    // comparing against the old number would report the same gap (and resync) forever.
    for (const key of keys) if (!snapshots.has(key)) this.#tracker.delete(key);
    this.#held.clear();
    this.#heldCount -= items.length;
    this.#holdingAll = false;
    return { replayed: this.#replay(items, dropped, generation), dropped: dropped.size };
  }

  /**
   * The tracker keys a stream-wide resync rebuilds: the one key without `topicOf`; after an open,
   * every desired topic and every key among the held messages, because `topicOf` need not return
   * the desired topic names (streams named in the URL, aliases) and a snapshot that skipped such a
   * key would let messages it already contains through.
   */
  #resyncedKeys(reason: ResyncReason, topics: string[], items: readonly Held<In>[]): string[] {
    if (this.#options.topicOf === undefined || reason === 'gap') return [''];
    const keys = new Set(topics);
    for (const item of items) if (!Number.isNaN(item.first)) keys.add(item.key);
    return [...keys];
  }

  /** `sequence` applies to every key; `sequences` entries override it (and may name keys nothing held yet). */
  #snapshots(result: ResyncResult | void, keys: string[]): Map<string, number> {
    const snapshots = new Map<string, number>();
    if (result === undefined || result === null) return snapshots;
    const perTopic = this.#options.topicOf !== undefined;
    if (typeof result.sequence === 'number') {
      for (const key of keys) snapshots.set(key, result.sequence);
    }
    for (const [key, sequence] of Object.entries(result.sequences ?? {})) snapshots.set(perTopic ? key : '', sequence);
    return snapshots;
  }

  // ── per-topic repair: a resync or a backfill of one key while the others flow ───────────────

  /** Whether `hold` is still the repair in force: not cancelled, not replaced, its socket current. */
  #isLive(hold: TopicHold<In>): boolean {
    return this.#holds.get(hold.key) === hold && this.#callbacks.isCurrent(hold.generation);
  }

  /** Ends a hold and returns its messages, oldest first. */
  #release(hold: TopicHold<In>): Held<In>[] {
    this.#holds.delete(hold.key);
    const items = hold.items.drain();
    this.#heldCount -= items.length;
    return items;
  }

  /**
   * Runs `hook` until it succeeds, under `resyncTimeoutMs` each time, waiting 100 ms, then 200 ms
   * between failures; undefined after MAX_TOPIC_FAILURES failures (each reported) or when the hold
   * stopped being current.
   */
  async #attempt<R>(hold: TopicHold<In>, name: string, hook: (signal: AbortSignal) => R | Promise<R>, failures: { count: number }): Promise<HookOutcome<R> | undefined> {
    for (;;) {
      const abort = (hold.abort = new AbortController());
      const outcome = await this.#call(abort, name, hook);
      if (hold.abort === abort) hold.abort = undefined;
      if (!this.#isLive(hold)) return undefined;
      if (outcome.ok) return outcome;
      failures.count++;
      if (failures.count >= MAX_TOPIC_FAILURES) return outcome;
      const delayMs = topicRetryDelayMs(failures.count);
      this.#callbacks.emit('error', new ResilientStreamError('RS_RESYNC',
        `The ${name} of topic ${JSON.stringify(hold.key)} failed (${failures.count} of ${MAX_TOPIC_FAILURES}); retrying in ${delayMs} ms: ${outcome.error.message}`,
        { cause: outcome.error }));
      if (!this.#isLive(hold)) return undefined;
      await hold.wait(delayMs);
      if (!this.#isLive(hold)) return undefined;
    }
  }

  /** A per-topic resync: the hook runs for `[key]` alone; the stream stays `open`. */
  async #resyncTopic(hold: TopicHold<In>): Promise<void> {
    const { clock } = this.#options;
    const startedAt = clock.now();
    const topics = [hold.key];
    const failures = { count: 0 };
    let attempts = 0;
    this.#resyncs++;
    this.#callbacks.emit('resyncing', { reason: 'gap', topics });
    for (let tries = 0; tries < MAX_SNAPSHOT_TRIES; tries++) {
      if (!this.#isLive(hold)) return;
      const before = failures.count;
      const outcome = await this.#attempt(hold, 'resync', (signal) => this.#options.resync!({ reason: 'gap', topics, signal }), failures);
      attempts += 1 + failures.count - before;
      if (outcome === undefined) return;
      if (!outcome.ok) {
        return this.#callbacks.recycle(new ResilientStreamError('RS_RESYNC',
          `The resync of topic ${JSON.stringify(hold.key)} failed ${MAX_TOPIC_FAILURES} times; reconnecting: ${outcome.error.message}`, { cause: outcome.error }));
      }
      const applied = this.#applyTopic(hold, outcome.value);
      if (applied === undefined) continue;
      if (!this.#callbacks.isCurrent(hold.generation)) return;
      this.#emitResynced({ reason: 'gap', durationMs: clock.now() - startedAt, ...applied, attempts, topics, backfilled: 0, missing: 0 });
      return;
    }
    this.#callbacks.recycle(new ResilientStreamError('RS_RESYNC',
      `Expected a snapshot of topic ${JSON.stringify(hold.key)} at or after its first held message, but ${MAX_SNAPSHOT_TRIES} snapshots in a row were older; reconnecting.`));
  }

  /**
   * Applies a per-topic snapshot: `sequences[key]`, else `sequence`; other keys of `sequences` are
   * ignored (they are flowing live). Undefined when the snapshot is too old (try again).
   */
  #applyTopic(hold: TopicHold<In>, result: ResyncResult | void): { replayed: number; dropped: number } | undefined {
    const { key } = hold;
    const own = result?.sequences !== undefined && Object.hasOwn(result.sequences, key) ? result.sequences[key] : undefined;
    const snapshot = typeof own === 'number' ? own : result?.sequence;
    const dropped = new Set<Held<In>>();
    if (typeof snapshot === 'number') {
      const keyed = hold.items.toArray().filter((item) => !Number.isNaN(item.first));
      const plan = planReplay(keyed, snapshot, (item) => [item.first, item.last] as const);
      if (!plan.ok) return undefined;
      for (let i = 0; i < plan.drop; i++) dropped.add(keyed[i]!);
      this.#tracker.set(key, snapshot);
    } else {
      // No number for this key: it starts counting again at its next message (see #applyAll).
      this.#tracker.delete(key);
    }
    const items = this.#release(hold);
    return { replayed: this.#replay(items, dropped, hold.generation), dropped: dropped.size };
  }

  /**
   * A backfill of the hole `(after, before)`: the hook runs (retried like a per-topic resync);
   * what it returns is merged in order with the held messages; what it cannot supply, or all of
   * the hole after MAX_TOPIC_FAILURES failures, is counted as `missing`. Never recycles.
   */
  async #backfill(hold: TopicHold<In>, after: number, before: number): Promise<void> {
    const { clock, topicOf, backfill } = this.#options;
    const startedAt = clock.now();
    const topic = topicOf === undefined ? undefined : hold.key;
    const topics = topic === undefined ? this.#callbacks.topics() : [topic];
    const failures = { count: 0 };
    this.#resyncs++;
    this.#callbacks.emit('resyncing', { reason: 'gap', topics });
    const outcome = await this.#attempt(hold, 'backfill', async (signal) => {
      const messages = await backfill!({ topic, after, before, signal });
      if (!Array.isArray(messages)) throw new TypeError(`Expected the backfill hook to resolve with an array of messages, got ${describe(messages)}.`);
      return messages;
    }, failures);
    if (outcome === undefined) return;
    if (!outcome.ok) {
      this.#callbacks.emit('error', new ResilientStreamError('RS_RESYNC',
        `The backfill of topic ${JSON.stringify(hold.key)} failed ${MAX_TOPIC_FAILURES} times; delivering the held messages with ${before - after - 1} missing: ${outcome.error.message}`,
        { cause: outcome.error }));
      if (!this.#isLive(hold)) return;
    }
    const messages = outcome.ok ? outcome.value : [];
    const filled = this.#applyBackfill(hold, messages, after, before);
    if (!this.#callbacks.isCurrent(hold.generation)) return;
    this.#emitResynced({
      reason: 'gap', durationMs: clock.now() - startedAt, replayed: filled.replayed, dropped: 0,
      attempts: failures.count + (outcome.ok ? 1 : 0), topics, backfilled: filled.backfilled, missing: filled.missing,
    });
  }

  /** Delivers the fetched messages that fill the hole, in order, then the held ones. */
  #applyBackfill(hold: TopicHold<In>, messages: readonly In[], after: number, before: number): { backfilled: number; missing: number; replayed: number } {
    const plan = planBackfill(messages.map((message) => this.#rangeOf(message)), after, before);
    this.#missing += plan.missing;
    const items = this.#release(hold);
    const topic = this.#options.topicOf === undefined ? undefined : hold.key;
    let backfilled = 0;
    for (const index of plan.order) {
      if (!this.#callbacks.isCurrent(hold.generation)) break;
      const message = messages[index]!;
      backfilled++;
      this.#callbacks.deliver(message, topic, this.#isData(message));
    }
    // The first held message (`before`) follows on, unless a fetched range already reached past it.
    this.#tracker.set(hold.key, Math.max(plan.last, before - 1));
    return { backfilled, missing: plan.missing, replayed: this.#replay(items, new Set(), hold.generation) };
  }

  /** `isData` for a fetched message (Inbound decides it for live ones); a throw is reported and means false. */
  #isData(message: In): boolean {
    const { isData } = this.#options;
    if (isData === undefined) return true;
    try {
      return isData(message) === true;
    } catch (cause) {
      this.#callbacks.emit('error', new ResilientStreamError('RS_LISTENER', `isData threw: ${describe(cause)}`, { cause, event: 'isData' }));
      return false;
    }
  }
}
