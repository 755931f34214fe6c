import type { EventListener, EventNames } from './safe-emitter.js';
import type { ResilientStreamError } from './errors.js';
import type { ResyncReason } from './options.js';
import type { StreamState } from './state.js';

/** Payload of `state`: every state change, before the event that explains it. */
export interface StateEvent {
  readonly from: StreamState;
  readonly to: StreamState;
  /** Why, in words (for logs). */
  readonly reason: string;
}

/** Payload of `open`: the socket opened (before subscriptions and resync). */
export interface OpenEvent {
  readonly attempt: number;
  readonly isReconnect: boolean;
  /** The URL dialed, with credentials and query values redacted. */
  readonly url: string;
}

/** Payload of `stale`: a liveness deadline passed. */
export interface StaleEvent {
  /** `data`: no data message; `heartbeat`: nothing at all after a ping; `topic`: one topic went silent. */
  readonly kind: 'data' | 'heartbeat' | 'topic';
  readonly topic?: string;
  /** How long it had been silent when detected, in ms. */
  readonly silentForMs: number;
  /** The threshold that was passed, in ms (for heartbeats, intervalMs + timeoutMs). */
  readonly thresholdMs: number;
}

/** Payload of `close`: a socket that had opened closed, for any reason. */
export interface CloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  readonly willReconnect: boolean;
}

/** Payload of `reconnecting`: waiting `delayMs` before reconnect attempt `attempt`. */
export interface ReconnectingEvent {
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** Payload of `gap`: a sequence number was skipped. */
export interface GapEvent {
  /** The number that should have come next (last + 1). */
  readonly expected: number;
  /** The `first` of the message that arrived instead. */
  readonly received: number;
  readonly topic?: string;
}

/** Payload of `resyncing`: the resync hook starts. */
export interface ResyncingEvent {
  readonly reason: ResyncReason;
  /** The topics being resynced: every desired topic after an open, the gapped topic for a per-topic gap. */
  readonly topics: readonly string[];
}

/** Payload of `resynced`: the resync hook finished and held messages were replayed. */
export interface ResyncedEvent {
  readonly reason: ResyncReason;
  readonly durationMs: number;
  /** Held messages delivered after the snapshot. */
  readonly replayed: number;
  /** Held messages dropped because the snapshot already covered them. */
  readonly dropped: number;
  /** Hook runs it took (more than 1 when a snapshot was older than the held messages, or a per-topic run was retried). */
  readonly attempts: number;
  /** Messages delivered from the `backfill` answer (0 for a snapshot resync). */
  readonly backfilled: number;
  /** Sequence numbers in the gap that nothing supplied; added to `health().missing`. */
  readonly missing: number;
  /** The topics that were resynced (see {@link ResyncingEvent.topics}). */
  readonly topics: readonly string[];
}

/** One recent failure, as carried by a storm alert. */
export interface FailureSummary {
  readonly at: number;
  readonly code?: number;
  readonly error?: string;
}

/** Payload of `storm`: more reconnect attempts than allowed inside the window. */
export interface StormEvent {
  readonly reconnects: number;
  readonly windowMs: number;
  /** The last few close codes and errors, oldest first. */
  readonly recentFailures: readonly FailureSummary[];
  /** Time since the last connection that stayed up `resetAfterMs`, in ms (null if there never was one). */
  readonly sinceHealthyMs: number | null;
}

/** Payload of `stormEnd`: the stream stayed open for a whole window after a storm. */
export interface StormEndEvent {
  readonly reconnects: number;
  readonly durationMs: number;
}

/** Payload of `rotated`: delivery switched to a replacement socket without a `close` or `open`. */
export interface RotatedEvent {
  /** `age`: `rotate.maxAgeMs`; `notice`: `rotate.isNotice` matched; `manual`: `rotate()`. */
  readonly reason: 'age' | 'notice' | 'manual';
  /** How long both sockets were open, in ms. */
  readonly overlapMs: number;
  /** Messages that arrived on both sockets and were delivered once. */
  readonly duplicatesDropped: number;
  /** True when overlap was proven (by `sequence` or `dedupeKey`), so nothing can have been missed. */
  readonly gapless: boolean;
}

/** The typed event map of `ResilientStream`. `Data` is what `isData` narrows to (every message when it is no type guard). */
export interface ResilientStreamEvents<In = unknown, _Out = unknown, Data extends In = In> {
  state: (event: StateEvent) => void;
  open: (event: OpenEvent) => void;
  message: (message: In) => void;
  /** Only messages that pass `isData` (all messages without it), typed by its type guard. */
  data: (message: Data) => void;
  stale: (event: StaleEvent) => void;
  close: (event: CloseEvent) => void;
  reconnecting: (event: ReconnectingEvent) => void;
  gap: (event: GapEvent) => void;
  resyncing: (event: ResyncingEvent) => void;
  resynced: (event: ResyncedEvent) => void;
  storm: (event: StormEvent) => void;
  stormEnd: (event: StormEndEvent) => void;
  rotated: (event: RotatedEvent) => void;
  error: (error: ResilientStreamError) => void;
}

/** Per-topic liveness in `health()`. */
export interface TopicHealth {
  /** Epoch ms of the last message of this topic, null if none yet. */
  readonly lastMessageAt: number | null;
  readonly stale: boolean;
  /** True while this topic's messages are held for a resync or backfill. */
  readonly resyncing: boolean;
}

/** A snapshot of the stream for dashboards, probes and metrics. Times are epoch ms or null. */
export interface StreamHealth {
  readonly state: StreamState;
  readonly connected: boolean;
  readonly lastMessageAt: number | null;
  readonly lastMessageAgeMs: number | null;
  readonly connectedSince: number | null;
  readonly attempt: number;
  readonly reconnects: number;
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly queued: number;
  readonly dropped: number;
  readonly duplicates: number;
  readonly gaps: number;
  readonly resyncs: number;
  /** Sequence numbers known lost for good: gaps answered with `skip` and what backfills could not supply. */
  readonly missing: number;
  readonly storm: boolean;
  /** The data staleness threshold in force, ms (learned when adaptive), null when disabled. */
  readonly staleThresholdMs: number | null;
  /** True between `pause()` and `resume()`. */
  readonly paused: boolean;
  /** Completed make-before-break rotations. */
  readonly rotations: number;
  /** Age of the current socket in ms, null when there is none. */
  readonly connectionAgeMs: number | null;
  readonly topics: Record<string, TopicHealth>;
}

/** Internal helpers for typing the stream's emitter (not exported from the package). */
export type EventNameOf<In, Out, Data extends In> = EventNames<ResilientStreamEvents<In, Out, Data>>;
export type EventListenerOf<In, Out, Data extends In, E extends EventNameOf<In, Out, Data>> = EventListener<ResilientStreamEvents<In, Out, Data>, E>;
export type EventPayloadOf<In, Out, E extends keyof ResilientStreamEvents<In, Out>> = Parameters<ResilientStreamEvents<In, Out>[E]>[0];
