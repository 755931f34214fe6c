// One ingest worker: the topics of its shard, a StreamPool over them, piped into Redis Streams
// (one stream key per topic, entry id = the feed's sequence number), with /health and /metrics.
//   node worker.mjs --shard 0/3 --feed ws://127.0.0.1:8080 --redis redis://127.0.0.1:6379 --topics a,b,c
// Prints one JSON line when ready and one with its counts when it stops (SIGTERM or SIGINT).
import { parseArgs } from 'node:util';
import { StreamPool } from 'resilient-stream/pool';
import { pipeTo, redisStreamsSink, serveHealth } from 'resilient-stream/node';
import { parseShard, topicsOf } from './shard.mjs';

const { values } = parseArgs({
  options: {
    shard: { type: 'string' },
    feed: { type: 'string' },
    redis: { type: 'string' },
    topics: { type: 'string' },
    'health-port': { type: 'string', default: '0' },
  },
});
const shard = parseShard(values.shard);
const topics = topicsOf(values.topics.split(','), shard);
const log = (line) => process.stdout.write(`${JSON.stringify({ worker: shard.index, ...line })}\n`);

const pool = new StreamPool({
  url: values.feed,
  topics,
  maxTopicsPerConnection: 2, // small on purpose: several connections per worker
  subscribe: ({ topics: list }) => ({ op: 'subscribe', topics: list }),
  topicOf: (message) => message.topic,
  isData: (message) => message.seq !== undefined,
  sequence: (message) => message.seq, // per topic, since topicOf is given
  staleAfterMs: 3_000,
  backoff: { initialDelayMs: 100, maxDelayMs: 2_000 },
});
pool.on('error', (error, member) => log({ error: error.code, member, message: error.message }));

// The entry id is the topic's sequence: a replay, a resync or a restarted worker never writes twice.
const sink = redisStreamsSink({ url: values.redis, key: (message) => `ticks:${message.topic}`, sequence: (message) => message.seq, maxLen: 100_000 });
const piped = pipeTo(pool, sink, {
  batchSize: 500,
  flushIntervalMs: 100,
  filter: (message) => message.seq !== undefined,
  onError: (error) => log({ sinkError: error.message }),
});
pool.start();
const health = await serveHealth(Object.fromEntries(pool.streams.map((member, i) => [`member-${i}`, member])), { port: Number(values['health-port']) });
log({ ready: true, topics, health: `${health.url}/health`, metrics: `${health.url}/metrics` });

// Shutdown order: stop intake (close the pool), let pipeTo write what it holds, close the sink
// (quits Redis), then the health server. Nothing calls process.exit(): the process ends when done.
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pool.close();
  const result = await piped;
  await sink.close();
  await health.close();
  log({ stopped: true, ...result, redis: sink.stats });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
