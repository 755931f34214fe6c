import type { StreamHealth, TopicHealth } from './events.js';
import type { LivenessMonitor } from './liveness.js';
import type { StreamState } from './state.js';

/** The sequence counts of a stream without a resyncer. */
export const NO_SEQUENCE_COUNTS = Object.freeze({ duplicates: 0, gaps: 0, resyncs: 0, missing: 0 });

/** Everything a health snapshot reads, gathered by the stream. */
export interface HealthParts {
  readonly now: number;
  readonly state: StreamState;
  /** When the live socket opened; undefined when not live. */
  readonly liveSince: number | undefined;
  /** When the current socket (live or not) opened. */
  readonly openedAt: number | undefined;
  readonly liveness: LivenessMonitor;
  readonly topics: Iterable<string>;
  readonly isResyncing: (topic: string) => boolean;
  /** Duplicates a rotation dropped by `dedupeKey`, added to `duplicates`. */
  readonly rotationDuplicates: number;
  readonly counts: Pick<StreamHealth, 'attempt' | 'reconnects' | 'messagesReceived' | 'messagesSent' | 'queued' | 'dropped' |
    'duplicates' | 'gaps' | 'resyncs' | 'missing' | 'storm' | 'paused' | 'rotations'>;
}

/** A snapshot for dashboards, probes and metrics; every age is taken from one clock reading. */
export function streamHealth(parts: HealthParts): StreamHealth {
  const { now, liveness } = parts;
  liveness.sample();
  const lastMessageAt = liveness.lastDataAt() ?? null;
  // fromEntries defines each key: assigning `topics['__proto__']` would set the prototype instead.
  const topics: Record<string, TopicHealth> = Object.fromEntries(Array.from(parts.topics, (topic) => {
    const state = liveness.topicState(topic);
    return [topic, { lastMessageAt: state?.lastAt ?? null, stale: state?.stale ?? false, resyncing: parts.isResyncing(topic) }];
  }));
  return {
    state: parts.state,
    connected: parts.liveSince !== undefined,
    lastMessageAt,
    lastMessageAgeMs: lastMessageAt === null ? null : Math.max(0, now - lastMessageAt),
    connectedSince: parts.liveSince ?? null,
    ...parts.counts,
    duplicates: parts.counts.duplicates + parts.rotationDuplicates,
    staleThresholdMs: liveness.staleThresholdMs ?? null,
    connectionAgeMs: parts.openedAt === undefined ? null : Math.max(0, now - parts.openedAt),
    topics,
  };
}
