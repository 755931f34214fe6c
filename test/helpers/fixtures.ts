import { afterEach } from 'vitest';
import { ResilientStream, type ResilientStreamOptions } from '../../src/index.js';
import { createFeedServer, type FeedServer, type FeedServerOptions } from '../../src/testing/index.js';

interface JsonData {
  topic?: string;
  seq?: number;
  op?: string;
  id?: number;
  data?: unknown;
}

/** A message of the feed server's JSON dialect. */
export type FeedMessage = JsonData;

const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** Registers cleanup for everything a test opened; runs after each test, newest first. */
export function useCleanup(): void {
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
}

/** A feed server on port 0, closed after the test. */
export async function openFeed(options: FeedServerOptions = {}): Promise<FeedServer> {
  const feed = await createFeedServer({ messagesPerSecond: 0, ...options });
  cleanups.push(() => feed.close());
  return feed;
}

/** Stream options for the JSON dialect with test-sized timings. */
export function jsonOptions(feed: FeedServer, overrides: Partial<ResilientStreamOptions<FeedMessage, unknown>> = {}): ResilientStreamOptions<FeedMessage, unknown> {
  return {
    url: feed.url,
    subscribe: ({ topics }) => (topics.length > 0 ? { op: 'subscribe', topics } : undefined),
    unsubscribe: ({ topics }) => ({ op: 'unsubscribe', topics }),
    topicOf: (message) => message.topic,
    isData: (message) => message.topic !== undefined,
    backoff: { initialDelayMs: 20, maxDelayMs: 100 },
    staleAfterMs: false,
    heartbeat: false,
    ...overrides,
  };
}

/** A stream closed after the test; errors are collected instead of being lost. */
export function track<S extends ResilientStream<any, any>>(stream: S): S & { errors: Error[] } {
  const errors: Error[] = [];
  stream.on('error', (error) => errors.push(error));
  cleanups.push(() => stream.close());
  return Object.assign(stream, { errors });
}

/** Shortcut: a started JSON-dialect stream against `feed`. */
export function jsonStream(feed: FeedServer, overrides: Partial<ResilientStreamOptions<FeedMessage, unknown>> = {}) {
  return track(new ResilientStream<FeedMessage, unknown>(jsonOptions(feed, overrides)));
}

/** What the feed server received from clients, as parsed JSON objects with an `op`. */
export function sentOps(feed: FeedServer): Array<Record<string, unknown>> {
  return feed.received.map((entry) => entry.data as Record<string, unknown>).filter((data) => typeof data === 'object' && data !== null);
}

/** Resolves once the feed server has registered a subscription to every topic in `topics`. */
export async function serverHasSubscribed(feed: FeedServer, topics: string[], timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!topics.every((topic) => feed.subscriptions().includes(topic))) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for the server to see subscriptions to ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
