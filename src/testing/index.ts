/**
 * `resilient-stream/testing`: a fault-injecting WebSocket feed server for tests, demos and
 * benchmarks. Node only; it imports nothing from the browser-safe main entry.
 *
 * @example
 * ```ts
 * import { createFeedServer } from 'resilient-stream/testing';
 * const feed = await createFeedServer({ dialect: 'json', messagesPerSecond: 50 });
 * feed.faults.stall();
 * await feed.close();
 * ```
 */
export { createFeedServer, FeedServer } from './feed-server.js';
export type { DisconnectEvent, FeedServerEvents, FeedServerState, ReceivedMessage } from './events.js';
export { FEED_SERVER_DEFAULTS } from './options.js';
export type { FeedServerLimits, FeedServerOptions, ResolvedFeedServerLimits, ResolvedFeedServerOptions } from './options.js';
export { FeedFaults } from './faults.js';
export type { FaultState, FlapOptions, NoticeOptions, RejectHandshakesOptions, StopOptions } from './faults.js';
export { CONTROL_ACTIONS } from './control.js';
export type { ConnectionInfo } from './connection.js';
export type { FeedDialect } from './dialect.js';
export type { JsonDataMessage } from './json-dialect.js';
export type { DepthUpdateEvent, TradeEvent } from './binance-market.js';
export type { BookSnapshot, PriceLevel } from './order-book.js';
export { readRecording, replayRecording } from './replay.js';
export type { RecordedFrame, Replay, ReplayOptions, ReplayTarget } from './replay.js';
