/**
 * `npm run soak`: thousands of model-based sequences (SOAK_RUNS, default 2000), then a leak soak
 * of SOAK_CYCLES (default 1000) create/start/fault/close cycles against one feed server.
 *
 * Leak bounds asserted, measured after a 100-cycle warm-up and compared with the end (both after
 * two `global.gc()` passes):
 * - heap: at most SOAK_HEAP_SLACK_MB (default 8) MB above the warm-up heap, i.e. under ~9 KB per
 *   cycle, far below one retained stream with its socket;
 * - timers: every stream's clock has no armed timer once close() resolved, and the process's
 *   `Timeout` resources are back to the warm-up count;
 * - sockets: the feed server holds no connection, and the process's TCP handles (less the feed
 *   server's deliberately hung handshakes) are back to the warm-up count.
 */
import { describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { createFeedServer, type FeedServer } from '../../src/testing/index.js';
import { captureProcessErrors, CountingClock, sleep, takeUncaught, until } from '../property/model.js';
import { checkLifecycleProperty } from '../property/run-property.js';

const env = process.env;
const baseSeed = env.PROPERTY_SEED !== undefined ? Number(env.PROPERTY_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const runs = Number(env.SOAK_RUNS ?? 2_000);
const cycles = Number(env.SOAK_CYCLES ?? 1_000);
const heapSlackMb = Number(env.SOAK_HEAP_SLACK_MB ?? 8);
const WARMUP = 100;
const CONCURRENCY = 4;

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Timers and TCP handles of the process. The feed server keeps the sockets of handshakes it was
 * told to hang until it stops (even after the client gave up), so those are not counted.
 */
function resources(feed: FeedServer): { timeouts: number; tcp: number } {
  const info = process.getActiveResourcesInfo();
  const hung = feed.state().handshakesHanging;
  return { timeouts: info.filter((name) => name === 'Timeout').length, tcp: info.filter((name) => name.startsWith('TCP')).length - hung };
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    gc!();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

type Fault = (feed: FeedServer, stream: ResilientStream) => Promise<void> | void;
const FAULTS: Array<[string, Fault]> = [
  ['none', () => undefined],
  ['drop', (feed) => feed.faults.drop()],
  ['close 1011', (feed) => feed.faults.closeAll(1011, 'soak')],
  ['close 1008', (feed) => feed.faults.closeAll(1008, 'soak')],
  ['reject 500', (feed) => { feed.faults.rejectHandshakes(500, { count: 1 }); feed.faults.drop(); }],
  ['reject 401', (feed) => { feed.faults.rejectHandshakes(401, { count: 1 }); feed.faults.drop(); }],
  ['hang', (feed) => { feed.faults.hangHandshakes({ count: 1 }); feed.faults.drop(); }],
  ['freeze', async (feed) => { feed.faults.freeze(); await sleep(40); feed.faults.unfreeze(); }],
  ['reconnect()', (_feed, stream) => stream.reconnect()],
  ['flap', (feed) => { feed.faults.flap({ openMs: 5, count: 1 }); feed.faults.drop(); }],
];

async function cycle(feed: FeedServer, index: number): Promise<void> {
  const clock = new CountingClock();
  const stream = new ResilientStream<unknown, object>({
    url: feed.url,
    topics: ['a'],
    subscribe: ({ topics }) => ({ op: 'subscribe', topics }),
    staleAfterMs: 150,
    heartbeat: { intervalMs: 50, timeoutMs: 50 },
    backoff: { initialDelayMs: 2, maxDelayMs: 10 },
    connectTimeoutMs: 100,
    closeTimeoutMs: 100,
    clock,
  });
  stream.on('error', () => undefined);
  stream.start();
  await until(() => stream.state === 'open', 300);
  const [, fault] = FAULTS[index % FAULTS.length]!;
  await fault(feed, stream as ResilientStream);
  await sleep(index % 3 === 0 ? 0 : 15);
  stream.send({ op: 'ping', id: index });
  await stream.close();
  if (clock.armed !== 0) throw new Error(`cycle ${index} (${FAULTS[index % FAULTS.length]![0]}): ${clock.armed} timer(s) armed after close()`);
  if (stream.state !== 'closed') throw new Error(`cycle ${index}: state ${stream.state} after close()`);
}

describe('soak', () => {
  it(`${runs} model-based sequences hold every invariant (base seed ${baseSeed})`, async () => {
    const release = captureProcessErrors();
    try {
      console.log(`[soak] base seed ${baseSeed}, ${runs} sequences`);
      const failures = await checkLifecycleProperty({ baseSeed, runs, lanes: 8, maxSteps: 12, shrinkBudgetMs: 120_000 });
      expect(failures, failures[0]).toEqual([]);
    } finally {
      release();
    }
  });

  it(`${cycles} create/start/fault/close cycles leave heap, timers and sockets flat`, async () => {
    expect(gc, 'run with node --expose-gc (npm run soak does)').toBeTypeOf('function');
    const release = captureProcessErrors();
    const feed = await createFeedServer({ messagesPerSecond: 20 });
    try {
      let next = 0;
      let baseline: { heap: number; timeouts: number; tcp: number } | undefined;
      const runBatch = async (until_: number): Promise<void> => {
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
          while (next < until_) await cycle(feed, next++);
        }));
      };
      await runBatch(Math.min(WARMUP, cycles));
      feed.faults.clear();
      feed.clearRecords();
      await until(() => feed.connectionCount === 0, 2_000);
      await sleep(200);
      baseline = { heap: await settledHeap(), ...resources(feed) };
      await runBatch(cycles);
      feed.faults.clear();
      feed.clearRecords();
      expect(await until(() => feed.connectionCount === 0, 2_000), `${feed.connectionCount} server-side sockets left`).toBe(true);
      await sleep(200);
      const end = { heap: await settledHeap(), ...resources(feed) };
      console.log(`[soak] ${cycles} cycles: heap ${(baseline.heap / 2 ** 20).toFixed(1)} -> ${(end.heap / 2 ** 20).toFixed(1)} MB, Timeout ${baseline.timeouts} -> ${end.timeouts}, TCP ${baseline.tcp} -> ${end.tcp}`);
      expect(takeUncaught()).toEqual([]);
      expect(end.heap - baseline.heap).toBeLessThan(heapSlackMb * 2 ** 20);
      expect(end.timeouts).toBeLessThanOrEqual(baseline.timeouts);
      expect(end.tcp).toBeLessThanOrEqual(baseline.tcp);
    } finally {
      await feed.close();
      release();
    }
  });
});
