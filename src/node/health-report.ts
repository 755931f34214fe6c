import type { StreamHealth } from '../events.js';
import type { StreamState } from '../state.js';

/** Anything that can report its health: a `ResilientStream`, or a stand-in in tests. */
export interface HealthSource {
  health(): StreamHealth;
}

/** How health snapshots are judged. */
export interface HealthJudgement {
  /**
   * A stream silent for longer than this is stale, in seconds. Silence is the age of the last data
   * message, or the time since the socket opened when none has arrived yet.
   * @default each stream's own data staleness threshold (`staleAfterMs`, learned when adaptive);
   *   without one, only topics the stream itself marked stale count
   */
  readonly staleAfterSeconds?: number;
}

/** One topic in the health report. */
export interface TopicReport {
  /** Seconds since this topic's last message, or null when none has arrived. */
  readonly last_message_age_seconds: number | null;
  /** The stream's own per-topic verdict (`topicStaleAfterMs`). */
  readonly stale: boolean;
}

/** One stream in the health report (snake_case: it is read by monitors, not by this library). */
export interface StreamReport {
  /** True when the stream is `open` and not stale. */
  readonly ok: boolean;
  readonly state: StreamState;
  /** True while a socket is open (`open` or `resyncing`). */
  readonly connected: boolean;
  /** False while paused (backpressure), whatever the silence: a slow consumer is not a dead feed. */
  readonly stale: boolean;
  /** True between `pause()` and `resume()` (or while an iterator or `pipeTo` holds the stream). */
  readonly paused: boolean;
  /** Seconds since the last data message, or null when none has arrived. */
  readonly last_message_age_seconds: number | null;
  /** Seconds since the current socket opened, or null when not connected. */
  readonly connected_for_seconds: number | null;
  /** The silence threshold applied, in seconds, or null when none applies. */
  readonly stale_after_seconds: number | null;
  readonly storm: boolean;
  readonly attempt: number;
  readonly reconnects: number;
  readonly messages_received: number;
  readonly messages_sent: number;
  readonly queued: number;
  readonly dropped: number;
  readonly gaps: number;
  readonly duplicates: number;
  readonly resyncs: number;
  readonly topics: Record<string, TopicReport>;
}

/** The body of `GET /health`. */
export interface HealthReport {
  /** True when every stream is ok. */
  readonly ok: boolean;
  readonly streams: Record<string, StreamReport>;
}

/**
 * The "now" of a snapshot on the stream's own clock: `lastMessageAt + lastMessageAgeMs` when a
 * message has arrived (the two were read together), else the wall clock. Ages derived from it
 * never disagree with `lastMessageAgeMs`, even when the stream runs on an injected clock.
 */
export function snapshotNow(health: StreamHealth, fallbackNow: number = Date.now()): number {
  return health.lastMessageAt !== null && health.lastMessageAgeMs !== null ? health.lastMessageAt + health.lastMessageAgeMs : fallbackNow;
}

/** Milliseconds to seconds, rounded to the millisecond, never negative. */
export function seconds(ms: number): number {
  return Math.max(0, Math.round(ms)) / 1000;
}

/** Judges one snapshot: is it open, and has it been silent too long? */
export function reportStream(health: StreamHealth, judgement: HealthJudgement = {}): StreamReport {
  const now = snapshotNow(health);
  const connectedForMs = health.connectedSince === null ? null : now - health.connectedSince;
  const silenceMs = health.lastMessageAgeMs ?? connectedForMs;
  const thresholdMs = judgement.staleAfterSeconds !== undefined ? judgement.staleAfterSeconds * 1000 : health.staleThresholdMs;
  const entries = Object.entries(health.topics);
  const topicStale = entries.some(([, state]) => state.stale);
  // fromEntries defines each key: assigning `topics['__proto__'] = …` would drop that topic.
  const topics: Record<string, TopicReport> = Object.fromEntries(
    entries.map(([topic, state]) => [topic, { last_message_age_seconds: state.lastMessageAt === null ? null : seconds(now - state.lastMessageAt), stale: state.stale }]),
  );
  // A paused stream is silent because its consumer is slow, not because its feed stopped: a
  // probe must not restart a worker that is only waiting for its sink.
  const stale = !health.paused && (topicStale || (thresholdMs !== null && silenceMs !== null && silenceMs > thresholdMs));
  return {
    ok: health.state === 'open' && !stale,
    state: health.state,
    connected: health.connected,
    stale,
    paused: health.paused,
    last_message_age_seconds: health.lastMessageAgeMs === null ? null : seconds(health.lastMessageAgeMs),
    connected_for_seconds: connectedForMs === null ? null : seconds(connectedForMs),
    stale_after_seconds: thresholdMs === null ? null : thresholdMs / 1000,
    storm: health.storm,
    attempt: health.attempt,
    reconnects: health.reconnects,
    messages_received: health.messagesReceived,
    messages_sent: health.messagesSent,
    queued: health.queued,
    dropped: health.dropped,
    gaps: health.gaps,
    duplicates: health.duplicates,
    resyncs: health.resyncs,
    topics,
  };
}

/** Judges every stream; the report is ok when each one is. */
export function healthReport(healthByName: Readonly<Record<string, StreamHealth>>, judgement: HealthJudgement = {}): HealthReport {
  // fromEntries, not assignment, so a stream named `__proto__` is reported too.
  const streams: Record<string, StreamReport> = Object.fromEntries(Object.entries(healthByName).map(([name, health]) => [name, reportStream(health, judgement)]));
  return { ok: Object.values(streams).every((stream) => stream.ok), streams };
}
