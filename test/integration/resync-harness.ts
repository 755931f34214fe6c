// Shared by the resync integration tests: a JSON feed server, a stream with sequence tracking,
// and a replica that flags any hole or repeat in what the stream delivers after a snapshot.
import { afterEach } from 'vitest';
import { ResilientStream, type ResilientStreamError, type ResilientStreamOptions, type ResyncContext } from '../../src/index.js';
import { createFeedServer, type FeedServer } from '../../src/testing/index.js';
import { sleep } from '../helpers/events.js';

/** A message of the feed server's JSON dialect (data, acks and errors share the shape loosely). */
export interface Msg {
  topic?: string;
  seq?: number;
  op?: string;
}

/** Overrides of the stream options {@link openStream} starts from. */
export type Options = Partial<ResilientStreamOptions<Msg, unknown>>;

/** Everything a test opened, closed after it, newest first. */
export const cleanups: Array<() => Promise<unknown>> = [];

/** Call once at the top of a test file: closes what each test opened. */
export function closeAfterEach(): void {
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
}

/** A JSON-dialect feed server on port 0; `messagesPerSecond` 0 publishes only on `feed.publish()`. */
export async function openFeed(messagesPerSecond = 0): Promise<FeedServer> {
  const feed = await createFeedServer({ dialect: 'json', messagesPerSecond });
  cleanups.push(() => feed.close());
  return feed;
}

/** The server's sequence position of a topic: what a snapshot taken now would be at. */
export function position(feed: FeedServer, topic: string): number {
  return feed.state().topics[topic]?.position ?? 0;
}

/**
 * The application's replica of each topic: it is "at" the snapshot's sequence after a resync and
 * must see every later message exactly once, in order. Any hole or repeat is a violation.
 */
export class Replica {
  readonly at = new Map<string, number>();
  readonly delivered = new Map<string, number[]>();
  readonly violations: string[] = [];

  /** A snapshot was loaded: the topic is now at `sequence`. */
  reset(topic: string, sequence: number): void {
    this.at.set(topic, sequence);
  }

  /** A delivered message; data must be exactly the next number after where the topic is. */
  apply(message: Msg): void {
    if (message.topic === undefined || message.seq === undefined) return;
    const at = this.at.get(message.topic);
    if (at === undefined) this.violations.push(`${message.topic}#${message.seq} before any snapshot`);
    else if (message.seq !== at + 1) this.violations.push(`${message.topic}#${message.seq} after ${at}`);
    this.at.set(message.topic, message.seq);
    const list = this.delivered.get(message.topic) ?? [];
    list.push(message.seq);
    this.delivered.set(message.topic, list);
  }
}

/** A snapshot hook for the JSON feed: the server's current position, after an optional delay. */
export function snapshotHook(feed: FeedServer, replica: Replica, delayMs = 0) {
  return async ({ topics }: ResyncContext) => {
    if (delayMs > 0) await sleep(delayMs);
    const sequences: Record<string, number> = {};
    for (const topic of topics) {
      sequences[topic] = position(feed, topic);
      replica.reset(topic, sequences[topic]!);
    }
    return { sequences };
  };
}

/** A stream on topic `a` numbering messages by `seq` per topic, with fast backoff; errors are collected. */
export function openStream(feed: FeedServer, options: Options) {
  const stream = new ResilientStream<Msg, unknown>({
    url: feed.url,
    topics: ['a'],
    subscribe: ({ topics }) => (topics.length > 0 ? { op: 'subscribe', topics } : undefined),
    topicOf: (message) => message.topic,
    isData: (message) => message.topic !== undefined,
    sequence: (message) => message.seq,
    backoff: { initialDelayMs: 20, maxDelayMs: 50 },
    random: () => 0.5,
    staleAfterMs: false,
    heartbeat: false,
    ...options,
  });
  const errors: ResilientStreamError[] = [];
  stream.on('error', (error) => errors.push(error));
  cleanups.push(() => stream.close());
  return Object.assign(stream, { errors });
}

/** Resolves once the server has processed a subscription to every topic (the open can precede it). */
export async function subscribed(feed: FeedServer, topics: string[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (topics.every((topic) => feed.subscriptions().includes(topic))) return;
    await sleep(5);
  }
  throw new Error(`Expected the server to have subscriptions to ${topics.join(', ')}, got ${feed.subscriptions().join(', ')}`);
}

/** A promise the test resolves by hand. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}
