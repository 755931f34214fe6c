import type { BookSnapshot } from './order-book.js';

/** The wire protocols the feed server speaks. */
export type FeedDialect = 'json' | 'binance' | 'binance-futures' | 'bybit' | 'okx' | 'kraken' | 'coinbase';

/** Every {@link FeedDialect}, for validation. */
export const FEED_DIALECTS: readonly FeedDialect[] = Object.freeze(['json', 'binance', 'binance-futures', 'bybit', 'okx', 'kraken', 'coinbase']);

/** A request id as the client sent it (number, string or null), echoed in the answer. */
export type RequestId = number | string | null | undefined;

/** A client message, decoded into what the server should do about it. */
export type ClientCommand =
  | { kind: 'subscribe'; topics: string[]; id: RequestId }
  | { kind: 'unsubscribe'; topics: string[]; id: RequestId }
  | { kind: 'list'; id: RequestId }
  | { kind: 'ping'; id: RequestId }
  | { kind: 'invalid'; id: RequestId; reason: 'json' | 'request'; message: string };

/** A command answered with an acknowledgement. */
export type AckableCommand = Extract<ClientCommand, { kind: 'subscribe' | 'unsubscribe' | 'ping' }>;

/** What a handshake URL asks for: streams to subscribe at once and the combined wrapper. */
export interface HandshakeRoute {
  topics: string[];
  combined: boolean;
}

/** A handshake URL the dialect refuses, answered with this HTTP status. */
export interface RouteRefusal {
  status: number;
  message: string;
}

/**
 * One wire protocol: how clients subscribe, what data looks like, how a topic maps to the
 * source of its messages. The server owns connections and faults; the dialect owns the bytes.
 */
export interface Dialect {
  readonly name: FeedDialect;
  /**
   * The source a topic draws messages from; aliases share one source (Binance's
   * `btcusdt@depth` and `btcusdt@depth@100ms` carry the same update ids).
   * @throws TypeError when the name is malformed for this dialect.
   */
  sourceOf(topic: string): string;
  /** Reads a handshake URL (path and query). */
  route(url: URL): HandshakeRoute | RouteRefusal;
  /** Decodes one text frame from a client. */
  parse(text: string): ClientCommand;
  /** The answer to a successful subscribe, unsubscribe or ping. */
  ack(command: AckableCommand): object;
  /** The answer to a subscription listing request. */
  listed(id: RequestId, topics: string[]): object;
  /** The answer to a request the server refuses. */
  error(id: RequestId, reason: 'json' | 'request', message: string): object;
  /** Generates the next data message of a source, advancing its sequence. */
  next(source: string, now: number, override?: unknown): object;
  /** The sequence position of a source: last seq, trade id or book update id. */
  position(source: string): number;
  /** Wraps a payload for a stream, e.g. Binance's combined `{stream, data}`. */
  wrap(stream: string, payload: object, combined: boolean): object;
  /** The app-level heartbeat message. */
  heartbeat(now: number): object;
  /** The message announcing an imminent shutdown. */
  shutdownNotice(now: number): object;
  /** The order book of a symbol (Binance and the venue dialects). */
  book?(symbol: string, limit?: number, stale?: boolean): BookSnapshot;
  /** The REST path of the depth snapshot, when the venue has one. @default '/api/v3/depth' when `book` exists */
  readonly snapshotPath?: string;
  /** The snapshot message sent to a connection right after it subscribed to `stream` (WebSocket-snapshot venues); undefined for other streams. */
  snapshotMessage?(stream: string, now: number, stale: boolean): object | undefined;
  /** A raw text answer to a client frame that is not JSON (OKX answers the text `ping` with the text `pong`). */
  rawReply?(text: string): string | undefined;
  /** Makes the next `count` book messages carry a wrong checksum (Kraken). */
  corruptChecksum?(count: number): void;
}

/** Narrows a route result to a refusal. */
export function isRefusal(result: HandshakeRoute | RouteRefusal): result is RouteRefusal {
  return 'status' in result;
}

/** Reads `id` from a decoded message when it is a usable request id. */
export function requestIdOf(message: Record<string, unknown>): RequestId {
  const { id } = message;
  return typeof id === 'number' || typeof id === 'string' || id === null ? id : undefined;
}

/** Parses a client frame as a JSON object, or says why it is not one. */
export function parseObject(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `Expected a JSON object, got unparsable text: ${text.slice(0, 60)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `Expected a JSON object, got ${text.slice(0, 60)}`;
  }
  return value as Record<string, unknown>;
}

/** Whether a value is an array of non-empty strings. */
export function isTopicList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);
}
