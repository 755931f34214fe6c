import { describe, ResilientStreamError } from './errors.js';
import { Fifo } from './fifo.js';
import { planReplay, SequenceTracker, toRange } from './sequence.js';
import type { GapEvent, ResyncedEvent, ResyncingEvent } from './events.js';
import type { ResyncReason, ResyncResult } from './options.js';
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
export type ResyncConfig<In> = Pick<ResolvedOptions<In, unknown>, 'sequence' | 'resync' | 'topicOf' | 'resyncTimeoutMs' | 'resyncBufferSize' | 'clock'>;

/** A message waiting for a resync to finish; `first`/`last` are NaN when it carries no sequence. */
interface Held<In> {
  readonly message: In;
  readonly isData: boolean;
  readonly topic: string | undefined;
  readonly key: string;
  readonly first: number;
  readonly last: number;
}

/** How often a snapshot older than the held messages is fetched again before giving up. */
const MAX_SNAPSHOT_TRIES = 5;

/**
 * Keeps delivered messages contiguous: drops duplicates, reports gaps, and runs the `resync` hook
 * after every open and on every gap while holding inbound messages back in order. When the hook
 * returns a snapshot sequence S, held messages the snapshot covers are dropped and the rest replayed;
 * a snapshot older than the first held message is fetched again (Binance's local-book procedure).
 */
export class Resyncer<In> {
  readonly #options: ResyncConfig<In>;
  readonly #callbacks: ResyncCallbacks<In>;
  readonly #tracker = new SequenceTracker();
  readonly #held = new Fifo<Held<In>>();
  #holding = false;
  #generation = -1;
  #abort: AbortController | undefined;
  #resyncs = 0;

  constructor(options: ResyncConfig<In>, callbacks: ResyncCallbacks<In>) {
    this.#options = options;
    this.#callbacks = callbacks;
  }

  /** Counters for health(). */
  counts(): { duplicates: number; gaps: number; resyncs: number } {
    return { duplicates: this.#tracker.duplicates, gaps: this.#tracker.gaps, resyncs: this.#resyncs };
  }

  /** True while messages of `topic` are held back for a resync. */
  isResyncing(_topic: string): boolean {
    return this.#holding;
  }

  /** A socket opened: hold messages until afterOpen() has run the hook (if there is one). */
  beginHold(generation: number): void {
    this.#generation = generation;
    this.#holding = this.#options.resync !== undefined;
  }

  /** Subscriptions are sent: run the open-time resync. */
  async afterOpen(generation: number, reason: ResyncReason): Promise<void> {
    if (this.#options.resync === undefined || !this.#callbacks.isCurrent(generation)) return;
    await this.#run(generation, reason, this.#callbacks.topics());
  }

  /** The socket is gone: abort a running hook and forget what was held. */
  cancel(): void {
    this.#abort?.abort(new ResilientStreamError('RS_RESYNC', 'The socket closed while the resync hook ran (it was replaced, or close() was called).'));
    this.#abort = undefined;
    this.#holding = false;
    this.#held.clear();
  }

  /** One decoded message (the hot path). */
  deliver(message: In, topic: string | undefined, isData: boolean): void {
    const sequence = this.#options.sequence;
    if (sequence === undefined) {
      if (this.#holding) this.#hold({ message, isData, topic, key: '', first: Number.NaN, last: Number.NaN });
      else this.#callbacks.deliver(message, topic, isData);
      return;
    }
    const key = this.#options.topicOf === undefined ? '' : topic ?? '';
    const range = this.#rangeOf(sequence, message);
    if (range === undefined) this.#process(message, isData, topic, key, Number.NaN, Number.NaN);
    else this.#process(message, isData, topic, key, range[0], range[1]);
  }

  /** The extractor's answer as a range; a throw or an unusable answer is reported and means "untracked". */
  #rangeOf(sequence: (message: In) => unknown, message: In): readonly [number, number] | undefined {
    let value: unknown;
    try {
      value = sequence(message);
    } catch (cause) {
      this.#callbacks.emit('error', new ResilientStreamError('RS_LISTENER', `sequence threw: ${describe(cause)}`, { cause, event: 'sequence' }));
      return undefined;
    }
    const range = toRange(value);
    if (range !== 'invalid') return range;
    this.#callbacks.emit('error', new ResilientStreamError('RS_SEQUENCE',
      `Expected \`sequence\` to return a safe integer, a [first, last] pair of them (first <= last) or undefined, got ${describe(value)}; the message is delivered untracked.`));
    return undefined;
  }

  /** The sequence rules for one message; allocates only when the message must be held. */
  #process(message: In, isData: boolean, topic: string | undefined, key: string, first: number, last: number): void {
    if (this.#holding) return this.#hold({ message, isData, topic, key, first, last });
    if (Number.isNaN(first)) return this.#callbacks.deliver(message, topic, isData);
    const verdict = this.#tracker.check(key, first, last);
    if (verdict === 'duplicate') return;
    if (verdict !== 'gap') return this.#callbacks.deliver(message, topic, isData);
    const expected = this.#tracker.lastGapExpected;
    const gapTopic = this.#options.topicOf === undefined ? undefined : key;
    this.#callbacks.emit('gap', gapTopic === undefined ? { expected, received: first } : { expected, received: first, topic: gapTopic });
    if (this.#options.resync === undefined) return this.#callbacks.deliver(message, topic, isData);
    // Undo the jump: the snapshot decides where this message stands.
    this.#tracker.set(key, expected - 1);
    this.#holding = true;
    this.#hold({ message, isData, topic, key, first, last });
    void this.#run(this.#generation, 'gap', gapTopic === undefined ? this.#callbacks.topics() : [gapTopic]);
  }

  #hold(item: Held<In>): void {
    const limit = this.#options.resyncBufferSize;
    if (this.#held.size < limit) {
      this.#held.push(item);
      return;
    }
    this.#callbacks.recycle(new ResilientStreamError('RS_RESYNC',
      `Expected the resync to finish before ${limit} messages were held (resyncBufferSize); reconnecting instead of dropping any.`));
  }

  async #run(generation: number, reason: ResyncReason, topics: string[]): Promise<void> {
    const { clock } = this.#options;
    const startedAt = clock.now();
    this.#resyncs++;
    this.#callbacks.setState('resyncing', `resync (${reason})`);
    this.#callbacks.emit('resyncing', { reason, topics });
    for (let attempt = 1; attempt <= MAX_SNAPSHOT_TRIES; attempt++) {
      const result = await this.#callHook(generation, reason, topics);
      if (result === false || !this.#callbacks.isCurrent(generation)) return;
      const outcome = this.#replay(result, reason, topics, generation);
      if (outcome === undefined) continue;
      // A listener replaced the socket during the replay: that socket's resync is over, unreported.
      if (!this.#callbacks.isCurrent(generation)) return;
      // A gap found while replaying has already started the next resync: stay in `resyncing`.
      if (!this.#holding) this.#callbacks.setState('open', `resynced (${reason})`);
      this.#callbacks.emit('resynced', { reason, durationMs: clock.now() - startedAt, ...outcome, attempts: attempt, topics });
      return;
    }
    this.#callbacks.recycle(new ResilientStreamError('RS_RESYNC',
      `Expected a snapshot at or after the first held message, but ${MAX_SNAPSHOT_TRIES} snapshots in a row were older; reconnecting.`));
  }

  /** Runs the hook once under `resyncTimeoutMs`; false when it failed (already reported) or was aborted. */
  async #callHook(generation: number, reason: ResyncReason, topics: string[]): Promise<ResyncResult | void | false> {
    const { resync, resyncTimeoutMs, clock } = this.#options;
    const abort = new AbortController();
    this.#abort = abort;
    const timer = clock.setTimeout(() => {
      abort.abort(new ResilientStreamError('RS_RESYNC', `Expected the resync hook to finish within ${resyncTimeoutMs} ms (resyncTimeoutMs).`));
    }, resyncTimeoutMs);
    try {
      const aborted = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true }));
      return await Promise.race([Promise.resolve().then(() => resync!({ reason, topics, signal: abort.signal })), aborted]);
    } catch (cause) {
      if (!this.#callbacks.isCurrent(generation) || this.#abort !== abort) return false;
      const error = cause instanceof ResilientStreamError && cause.code === 'RS_RESYNC'
        ? cause
        : new ResilientStreamError('RS_RESYNC', `The resync hook failed: ${describe(cause)}`, { cause });
      this.#callbacks.recycle(error);
      return false;
    } finally {
      clock.clearTimeout(timer);
      if (this.#abort === abort) this.#abort = undefined;
    }
  }

  /** Applies a snapshot to the held messages; undefined when the snapshot is too old (try again). */
  #replay(result: ResyncResult | void, reason: ResyncReason, topics: string[], generation: number): { replayed: number; dropped: number } | undefined {
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
    this.#holding = false;
    let replayed = 0;
    for (let i = 0; i < items.length; i++) {
      // A listener may replace the socket mid-replay; a replaced socket must never speak again.
      if (!this.#callbacks.isCurrent(generation)) break;
      const item = items[i]!;
      if (dropped.has(item)) continue;
      if (this.#holding) {
        this.#hold(item);
        continue;
      }
      replayed++;
      this.#process(item.message, item.isData, item.topic, item.key, item.first, item.last);
    }
    return { replayed, dropped: dropped.size };
  }

  /**
   * The tracker keys a resync rebuilds: the one key without `topicOf`; the gapped key for a gap;
   * after an open, every desired topic and every key among the held messages, because `topicOf`
   * need not return the desired topic names (streams named in the URL, aliases) and a snapshot
   * that skipped such a key would let messages it already contains through.
   */
  #resyncedKeys(reason: ResyncReason, topics: string[], items: readonly Held<In>[]): string[] {
    if (this.#options.topicOf === undefined) return [''];
    if (reason === 'gap') return topics;
    const keys = new Set(topics);
    for (const item of items) if (!Number.isNaN(item.first)) keys.add(item.key);
    return [...keys];
  }

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
}
