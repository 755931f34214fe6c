/**
 * The proof behind a make-before-break rotation: messages from the replacement socket wait here
 * until they provably meet what the current socket delivered, so the switch loses nothing and
 * doubles nothing. Three ways to prove it, best first:
 *
 * - `sequence`: for every tracker key either socket carried during the rotation, the
 *   replacement's first message starts at most one past the last delivered sequence L and its
 *   latest reaches L (it met the current socket and caught up). The replay goes through the
 *   sequence tracker, which drops what was delivered already.
 * - `key` (`dedupeKey`): for every topic either socket carried, a replacement message whose key
 *   the current socket delivered. After the switch the replacement's messages are still checked
 *   against those keys until each topic brought one that was not delivered ({@link pendingGroups}).
 * - `first-data`: the replacement's first data message; not provably gapless.
 *
 * In sequence mode, waiting until the replacement caught up on every active key means nothing it
 * sends after the switch was delivered already, so the switch's replay accounts for every duplicate.
 *
 * Pure: no timers, no I/O.
 */

/** One message from the replacement, as decoded. */
export interface Buffered<In> {
  readonly message: In;
  readonly topic: string | undefined;
  readonly isData: boolean;
}

/** How overlap is proven. */
export type OverlapMode<In> =
  | {
      readonly kind: 'sequence';
      /** The message's tracker key and sequence range, or undefined when it carries none. */
      readonly rangeOf: (message: In, topic: string | undefined) => { readonly key: string; readonly first: number; readonly last: number } | undefined;
      /** The last sequence number delivered on `key`, or undefined before any. */
      readonly lastOf: (key: string) => number | undefined;
    }
  | { readonly kind: 'key'; readonly keyOf: (message: In) => string | undefined }
  | { readonly kind: 'first-data' };

/** Where the proof stands. */
export type OverlapVerdict = 'waiting' | 'proven' | 'ahead';

/** What the replacement brought on one group (a tracker key, or a topic in key mode). */
interface Progress {
  /** Sequence mode: the first and latest sequence numbers. */
  first: number;
  last: number;
  /** Key mode: whether a key matched one delivered, and the latest key. */
  hasMet: boolean;
  latestKey: string | undefined;
}

export class OverlapProof<In> {
  readonly #mode: OverlapMode<In>;
  readonly #buffered: Buffered<In>[] = [];
  readonly #replacement = new Map<string, Progress>();
  /** Groups the current socket delivered during the rotation. */
  readonly #active = new Set<string>();
  /** Key mode: keys the current socket delivered during the rotation. */
  readonly #delivered = new Set<string>();
  #hasData = false;

  constructor(mode: OverlapMode<In>) {
    this.#mode = mode;
  }

  /** Whether a switch now would be provably gapless (`first-data` never is). */
  get isGapless(): boolean {
    return this.#mode.kind !== 'first-data' && this.verdict() === 'proven';
  }

  /** The current socket delivered `message`. */
  delivered(message: In, topic: string | undefined): void {
    const mode = this.#mode;
    if (mode.kind === 'sequence') {
      const range = mode.rangeOf(message, topic);
      if (range !== undefined) this.#active.add(range.key);
    } else if (mode.kind === 'key') {
      const key = mode.keyOf(message);
      if (key === undefined) return;
      this.#delivered.add(key);
      this.#active.add(topic ?? '');
    }
  }

  /** A message arrived on the replacement. */
  add(item: Buffered<In>): void {
    this.#buffered.push(item);
    const mode = this.#mode;
    if (mode.kind === 'first-data') {
      this.#hasData ||= item.isData;
      return;
    }
    if (mode.kind === 'sequence') {
      const range = mode.rangeOf(item.message, item.topic);
      if (range === undefined) return;
      const progress = this.#progress(range.key, range.first);
      progress.last = Math.max(progress.last, range.last);
      return;
    }
    const key = mode.keyOf(item.message);
    if (key === undefined) return;
    const progress = this.#progress(item.topic ?? '', Number.NaN);
    progress.hasMet ||= this.#delivered.has(key);
    progress.latestKey = key;
  }

  /**
   * `proven`: on every group either socket carried, the replacement met what was delivered and
   * caught up; `ahead` (sequence mode): the replacement starts past a gap on some key, so the
   * current socket must catch up first; `waiting`: not yet.
   */
  verdict(): OverlapVerdict {
    const mode = this.#mode;
    if (mode.kind === 'first-data') return this.#hasData ? 'proven' : 'waiting';
    let groups = 0;
    for (const group of this.#groups()) {
      const progress = this.#replacement.get(group);
      if (mode.kind === 'sequence') {
        const delivered = mode.lastOf(group);
        if (delivered === undefined) continue;
        if (progress === undefined) return 'waiting';
        if (progress.first > delivered + 1) return 'ahead';
        if (progress.last < delivered) return 'waiting';
      } else if (progress === undefined || !progress.hasMet) {
        return 'waiting';
      }
      groups++;
    }
    return groups > 0 ? 'proven' : 'waiting';
  }

  /**
   * The replacement's messages to deliver at the switch, in arrival order. Key mode leaves out
   * what the current socket delivered (counted in `dropped`); sequence mode leaves that to the
   * sequence tracker.
   */
  replay(): { readonly items: readonly Buffered<In>[]; readonly dropped: number } {
    const mode = this.#mode;
    if (mode.kind !== 'key') return { items: this.#buffered, dropped: 0 };
    const items = this.#buffered.filter((item) => {
      const key = mode.keyOf(item.message);
      return key === undefined || !this.#delivered.has(key);
    });
    return { items, dropped: this.#buffered.length - items.length };
  }

  /** Key mode: whether the current socket delivered a message with this message's key. */
  wasDelivered(message: In): boolean {
    if (this.#mode.kind !== 'key') return false;
    const key = this.#mode.keyOf(message);
    return key !== undefined && this.#delivered.has(key);
  }

  /** Key mode: the topics whose latest replacement message was already delivered (not caught up yet). */
  pendingGroups(): Set<string> {
    const pending = new Set<string>();
    if (this.#mode.kind !== 'key') return pending;
    for (const group of this.#groups()) {
      const latest = this.#replacement.get(group)?.latestKey;
      if (latest === undefined || this.#delivered.has(latest)) pending.add(group);
    }
    return pending;
  }

  #progress(group: string, first: number): Progress {
    let progress = this.#replacement.get(group);
    if (progress === undefined) {
      progress = { first, last: first, hasMet: false, latestKey: undefined };
      this.#replacement.set(group, progress);
    }
    return progress;
  }

  /** Every group the current socket carried during the rotation or the replacement brought. */
  #groups(): Set<string> {
    const groups = new Set(this.#active);
    for (const group of this.#replacement.keys()) groups.add(group);
    return groups;
  }
}
