import { TRANSITIONS, type StreamState } from '../state.js';
import { reportStream, seconds, snapshotNow, type HealthJudgement } from './health-report.js';
import type { StreamHealth } from '../events.js';

/** The Content-Type of the Prometheus text exposition format this module writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [labels: Labels, value: number];

/** One metric family: its samples across every stream. */
interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly samples: (name: string, health: StreamHealth, judgement: HealthJudgement) => Sample[];
}

const STATES = Object.keys(TRANSITIONS) as StreamState[];
const bool = (value: boolean): number => (value ? 1 : 0);
const one = (name: string, value: number | null): Sample[] => (value === null ? [] : [[{ stream: name }, value]]);

/** Every family, in output order. Ages and thresholds are in seconds, as Prometheus prefers. */
const FAMILIES: readonly Family[] = [
  { name: 'resilient_stream_up', type: 'gauge', help: '1 when the stream is open and not stale (the /health verdict), else 0.',
    samples: (name, h, j) => one(name, bool(reportStream(h, j).ok)) },
  { name: 'resilient_stream_connected', type: 'gauge', help: '1 while a socket is open (state open or resyncing), else 0.',
    samples: (name, h) => one(name, bool(h.connected)) },
  { name: 'resilient_stream_state', type: 'gauge', help: '1 for the current lifecycle state of the stream, 0 for the others.',
    samples: (name, h) => STATES.map((state): Sample => [{ stream: name, state }, bool(h.state === state)]) },
  { name: 'resilient_stream_last_message_age_seconds', type: 'gauge', help: 'Seconds since the last data message (absent until one arrives).',
    samples: (name, h) => one(name, h.lastMessageAgeMs === null ? null : seconds(h.lastMessageAgeMs)) },
  { name: 'resilient_stream_stale_threshold_seconds', type: 'gauge', help: 'Data staleness threshold in force, in seconds (absent when disabled).',
    samples: (name, h) => one(name, h.staleThresholdMs === null ? null : h.staleThresholdMs / 1000) },
  { name: 'resilient_stream_storm', type: 'gauge', help: '1 between a storm alert and its stormEnd, else 0.',
    samples: (name, h) => one(name, bool(h.storm)) },
  { name: 'resilient_stream_reconnects_total', type: 'counter', help: 'Reconnect attempts since the stream was created.',
    samples: (name, h) => one(name, h.reconnects) },
  { name: 'resilient_stream_messages_received_total', type: 'counter', help: 'Messages received and decoded (pongs excluded).',
    samples: (name, h) => one(name, h.messagesReceived) },
  { name: 'resilient_stream_messages_sent_total', type: 'counter', help: 'Messages written to the socket.',
    samples: (name, h) => one(name, h.messagesSent) },
  { name: 'resilient_stream_send_queue_messages', type: 'gauge', help: 'Messages waiting in the send queue for the socket to open.',
    samples: (name, h) => one(name, h.queued) },
  { name: 'resilient_stream_send_queue_dropped_total', type: 'counter', help: 'Queued messages dropped because the queue was full or they expired.',
    samples: (name, h) => one(name, h.dropped) },
  { name: 'resilient_stream_gaps_total', type: 'counter', help: 'Sequence gaps detected.',
    samples: (name, h) => one(name, h.gaps) },
  { name: 'resilient_stream_duplicates_total', type: 'counter', help: 'Duplicate messages dropped.',
    samples: (name, h) => one(name, h.duplicates) },
  { name: 'resilient_stream_resyncs_total', type: 'counter', help: 'Resyncs started (after opens and on gaps).',
    samples: (name, h) => one(name, h.resyncs) },
  { name: 'resilient_stream_topic_last_message_age_seconds', type: 'gauge', help: 'Seconds since the last message of a topic (absent until one arrives).',
    samples: (name, h) => topicSamples(name, h, (state, now) => (state.lastMessageAt === null ? null : seconds(now - state.lastMessageAt))) },
  { name: 'resilient_stream_topic_stale', type: 'gauge', help: '1 while the stream considers a topic stale (topicStaleAfterMs), else 0.',
    samples: (name, h) => topicSamples(name, h, (state) => bool(state.stale)) },
];

function topicSamples(name: string, health: StreamHealth, value: (state: StreamHealth['topics'][string], now: number) => number | null): Sample[] {
  const now = snapshotNow(health);
  const samples: Sample[] = [];
  for (const [topic, state] of Object.entries(health.topics)) {
    const v = value(state, now);
    if (v !== null) samples.push([{ stream: name, topic }, v]);
  }
  return samples;
}

/** Escapes a label value: backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/**
 * Renders health snapshots in the Prometheus text exposition format (version 0.0.4), one
 * `stream` label per entry of `healthByName`, for users who serve metrics from their own
 * server: `res.end(toPrometheus({ binance: stream.health() }))` with
 * {@link PROMETHEUS_CONTENT_TYPE}. Every family gets `# HELP` and `# TYPE` lines; a sample
 * that has no value yet (no message received) is left out rather than written as NaN.
 *
 * @param judgement - how `resilient_stream_up` judges staleness, as in `serveHealth`.
 */
export function toPrometheus(healthByName: Readonly<Record<string, StreamHealth>>, judgement: HealthJudgement = {}): string {
  const lines: string[] = [];
  const entries = Object.entries(healthByName);
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const [name, health] of entries) {
      for (const [labels, value] of family.samples(name, health, judgement)) {
        lines.push(`${family.name}${formatLabels(labels)} ${formatValue(value)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
