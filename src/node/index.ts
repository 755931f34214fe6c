/**
 * `resilient-stream/node`: Node-only helpers. Health over HTTP for uptime monitors and
 * Prometheus, and the pure renderers behind it for users who run their own server; `pipeTo` and
 * its sinks (NDJSON files, Redis Streams) for ingest workers (docs/node-workers.md). Nothing here
 * is imported by the main entry, which stays browser-safe, and the optional `redis` peer is
 * loaded only when a Redis Streams sink creates its client.
 *
 * @example
 * ```ts
 * import { serveHealth } from 'resilient-stream/node';
 * const health = await serveHealth({ binance: stream }, { port: 9464, staleAfterSeconds: 30 });
 * // GET http://127.0.0.1:9464/health  -> 200 or 503 with JSON
 * // GET http://127.0.0.1:9464/metrics -> Prometheus text
 * await health.close();
 * ```
 */
export { serveHealth, DEFAULT_STREAM_NAME } from './serve-health.js';
export type { HealthServer, ServeHealthOptions } from './serve-health.js';
export { toPrometheus, escapeLabelValue, PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
export { healthReport, reportStream } from './health-report.js';
export type { HealthJudgement, HealthReport, HealthSource, StreamReport, TopicReport } from './health-report.js';
export { pipeTo } from './pipe-to.js';
export { PipeRejectError, PipeWriteError, PIPE_TO_DEFAULTS } from './pipe-options.js';
export type { PipeResult, PipeRetryOptions, PipeSource, PipeToOptions } from './pipe-options.js';
export { UnwritableMessagesError } from './sinks/sink.js';
export type { Sink, UnwritableMessage } from './sinks/sink.js';
export { ndjsonFileSink } from './sinks/ndjson-file.js';
export type { NdjsonFileSink, NdjsonFileSinkOptions } from './sinks/ndjson-file.js';
export { redisStreamsSink } from './sinks/redis-streams.js';
export type { RedisStreamsClient, RedisStreamsMulti, RedisStreamsSink, RedisStreamsSinkOptions, RedisStreamsSinkStats } from './sinks/redis-streams.js';
