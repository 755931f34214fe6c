// The ingest fleet, on one machine: a Redis (Debian's redis-server, throwaway), the fault server,
// and 3 workers that split 12 topics by hashing. Runs ~8 s with a fault in the middle, stops the
// workers with SIGTERM, then prints each worker's counts and what Redis holds.
//   npm run example:fleet
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { createFeedServer } from 'resilient-stream/testing';

const WORKERS = 3;
const TOPICS = Array.from({ length: 12 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const redis = await startRedis();
const feed = await createFeedServer({ dialect: 'json', messagesPerSecond: 100, topics: TOPICS });
console.log(`redis ${redis.url} (pid ${redis.pid}), feed ${feed.url}, ${TOPICS.length} topics at 100 msg/s each`);

const workers = Array.from({ length: WORKERS }, (_, index) => startWorker(index));
await Promise.all(workers.map((worker) => worker.ready));
for (const worker of workers) console.log(`worker ${worker.index}: ${worker.readyLine.topics.join(',')}  ${worker.readyLine.health}`);

await sleep(3_000);
console.log('fault: every connection dropped (1006); the workers reconnect and resubscribe');
feed.faults.drop();
await sleep(3_000);
const probe = await fetch(workers[0].readyLine.health);
console.log(`worker 0 /health: HTTP ${probe.status}`);

console.log('SIGTERM to every worker: close the pool, drain the pipe, quit Redis');
for (const worker of workers) worker.child.kill('SIGTERM');
const results = await Promise.all(workers.map((worker) => worker.stopped));

const client = createClient({ url: redis.url });
await client.connect();
let inRedis = 0;
for (const topic of TOPICS) inRedis += await client.xLen(`ticks:${topic}`);
await client.close();

console.log('\nworker  topics  received  written  retried  pauses  duplicates');
for (const r of results) {
  console.log(`${String(r.worker).padStart(6)}  ${String(workers[r.worker].readyLine.topics.length).padStart(6)}  ${String(r.received).padStart(8)}  ${String(r.written).padStart(7)}  ${String(r.retried).padStart(7)}  ${String(r.pauses).padStart(6)}  ${String(r.redis.duplicates).padStart(10)}`);
}
const written = results.reduce((sum, r) => sum + r.redis.written, 0);
console.log(`\ntotal entries in Redis: ${inRedis} (the workers added ${written})`);
await feed.close();
await redis.stop();
process.exitCode = inRedis === written ? 0 : 1;

function startWorker(index) {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'worker.mjs'), '--shard', `${index}/${WORKERS}`, '--feed', feed.url, '--redis', redis.url, '--topics', TOPICS.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const worker = { index, child, readyLine: undefined };
  const lines = createInterface({ input: child.stdout });
  worker.ready = new Promise((resolve) => lines.on('line', (line) => {
    const entry = JSON.parse(line);
    if (entry.ready) resolve((worker.readyLine = entry));
    else if (!entry.stopped) console.log(`worker ${index}: ${line}`);
  }));
  worker.stopped = new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line);
      if (entry.stopped) resolve(entry);
    });
    child.once('exit', (code) => code !== 0 && reject(new Error(`worker ${index} exited with code ${code}`)));
  });
  return worker;
}

/** Debian's redis-server on a free port in a temp dir, no persistence; stopped by pid. */
async function startRedis() {
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'ingest-fleet-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  child.once('error', (error) => {
    console.error(`Expected Debian's redis-server on PATH (apt-get install -y redis-server): ${error.message}`);
    process.exit(1);
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.close();
      break;
    } catch {
      if (tries > 100) throw new Error(`redis-server did not answer on port ${port}`);
      await sleep(50);
    }
  }
  return {
    url,
    pid: child.pid,
    stop: () => new Promise((resolve) => {
      child.once('exit', () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      process.kill(child.pid, 'SIGTERM');
    }),
  };
}
