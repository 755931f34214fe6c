import type { Connection } from './connection.js';
import type { LivenessMonitor } from './liveness.js';
import type { Outbound, SubscribeTarget } from './outbound.js';
import { topicList } from './validate.js';

/**
 * The desired topic set and what keeps a socket subscribed to it: the subscribe hook for every
 * topic after an open, the difference when topics change while that hook runs, `subscribe()` and
 * `unsubscribe()` while live, and resubscribing a topic that went silent. Topics are watched by
 * the liveness monitor while subscribed.
 */
export class Subscriptions<Out> {
  /** Created with the first topic (or the first read of {@link topics}): many streams have none. */
  #topics: Set<string> | undefined;
  readonly #outbound: Outbound<Out>;
  readonly #liveness: LivenessMonitor;
  /** Tells the stream's socket now (only it may be written to). */
  readonly #stream: { readonly connection: Connection | undefined };

  constructor(initial: readonly string[], outbound: Outbound<Out>, liveness: LivenessMonitor, stream: { readonly connection: Connection | undefined }) {
    if (initial.length > 0) this.#topics = new Set(initial);
    this.#outbound = outbound;
    this.#liveness = liveness;
    this.#stream = stream;
  }

  /** The desired topics (sent after every open). */
  get topics(): ReadonlySet<string> {
    return (this.#topics ??= new Set());
  }

  /** A copy of the desired topics, in the order they were added (creates no set). */
  list(): string[] {
    return this.#topics === undefined ? [] : [...this.#topics];
  }

  /** Adds topics; subscribes them now if the socket is live. */
  add(topics: string | string[]): void {
    const desired = (this.#topics ??= new Set());
    const added = topicList(topics, 'subscribe').filter((topic) => !desired.has(topic));
    for (const topic of added) desired.add(topic);
    const connection = this.#stream.connection;
    if (added.length === 0 || connection?.liveAt === undefined) return;
    for (const topic of added) this.#liveness.watchTopic(topic);
    void this.#outbound.subscribe(added, this.#target(connection));
  }

  /** Removes topics; unsubscribes them now if the socket is live. */
  remove(topics: string | string[]): void {
    const requested = topicList(topics, 'unsubscribe');
    const desired = this.#topics;
    if (desired === undefined) return;
    const removed = requested.filter((topic) => desired.has(topic));
    for (const topic of removed) {
      desired.delete(topic);
      this.#liveness.unwatchTopic(topic);
    }
    const connection = this.#stream.connection;
    if (removed.length > 0 && connection?.liveAt !== undefined) this.#outbound.unsubscribe(removed, connection.transport);
  }

  /** Liveness deadlines restart for a new socket, with every desired topic watched. */
  watchAll(): void {
    this.#liveness.start();
    if (this.#topics !== undefined) for (const topic of this.#topics) this.#liveness.watchTopic(topic);
  }

  /**
   * Subscribes a freshly opened socket to every desired topic, then sends the difference for
   * topics changed while the hook ran. False if the socket was replaced or the hook failed.
   */
  async open(connection: Connection): Promise<boolean> {
    const sent = this.list();
    if (!(await this.#outbound.subscribe(sent, this.#target(connection), true))) return false;
    const sentSet = new Set(sent);
    const added = this.list().filter((topic) => !sentSet.has(topic));
    const removed = sent.filter((topic) => this.#topics?.has(topic) !== true);
    if (removed.length > 0) this.#outbound.unsubscribe(removed, connection.transport);
    if (added.length > 0) void this.#outbound.subscribe(added, this.#target(connection));
    return true;
  }

  /** A topic went silent: unsubscribe and subscribe it again on the live socket. */
  resubscribe(topic: string): void {
    const connection = this.#stream.connection;
    if (connection?.liveAt === undefined) return;
    this.#outbound.unsubscribe([topic], connection.transport);
    void this.#outbound.subscribe([topic], this.#target(connection));
  }

  #target(connection: Connection): SubscribeTarget {
    return { transport: connection.transport, attempt: connection.attempt, isReconnect: connection.isReconnect,
      isCurrent: () => connection === this.#stream.connection };
  }
}
