// The browser build's entry: everything of `resilient-stream` but StreamPool, which pages import
// from `resilient-stream/pool` (src/index.ts adds it back for Node).
import { shareKit } from './browser-kit.js';

export { ResilientStream } from './resilient-stream.js';
export { ResilientStreamError, ERROR_CODES, isResilientStreamError } from './errors.js';
export type { ErrorCode, ErrorDetails } from './errors.js';
export { DEFAULTS } from './resolve-options.js';
export { TRANSITIONS } from './state.js';
export type { StreamState } from './state.js';
export type { WaitForOptions } from './promises.js';
export { backoffCap, backoffDelay } from './backoff.js';
export type { BackoffPolicy, Jitter } from './backoff.js';
export { redactUrl } from './redact.js';
export type {
  AdaptiveStaleness,
  AttemptContext,
  BackfillContext,
  BackoffOptions,
  Clock,
  GapAction,
  HeartbeatOptions,
  Logger,
  RateLimitOptions,
  ResilientStreamOptions,
  ResyncContext,
  ResyncReason,
  ResyncResult,
  RotateOptions,
  SendQueueOptions,
  ShouldReconnectContext,
  StormOptions,
  SubscribeContext,
  UnsubscribeContext,
  WebSocketConstructor,
} from './options.js';
export type {
  CloseEvent,
  FailureSummary,
  GapEvent,
  OpenEvent,
  ReconnectingEvent,
  RotatedEvent,
  ResilientStreamEvents,
  ResyncedEvent,
  ResyncingEvent,
  StaleEvent,
  StateEvent,
  StormEndEvent,
  StormEvent,
  StreamHealth,
  TopicHealth,
} from './events.js';

// pool.js and the on-demand parts take the core from this file (src/browser-kit.ts).
shareKit();
