// The main demo: a live feed, then the failures that silently kill other clients, and the
// stream recovering from each. Starts its own local feed server; exits by itself in ~10 s.
//   npm run demo
import { ResilientStream } from 'resilient-stream';
import { createFeedServer } from 'resilient-stream/testing';

const feed = await createFeedServer({ dialect: 'json', messagesPerSecond: 20 });

const stream = new ResilientStream({
  url: feed.url,
  topics: ['BTC-USD'],
  subscribe: ({ topics }) => ({ op: 'subscribe', topics }),
  isData: (message) => message.topic !== undefined,
  staleAfterMs: 2_000,
  heartbeat: { intervalMs: 500, timeoutMs: 500 },
  backoff: { initialDelayMs: 200, maxDelayMs: 2_000 },
});

const started = Date.now();
const log = (what) => console.log(`${String(Date.now() - started).padStart(5)} ms  ${what}`);
let received = 0;
stream.on('message', (message) => { if (message.topic) received++; });
stream.on('state', ({ from, to, reason }) => log(`state ${from} -> ${to} (${reason})`));
stream.on('stale', ({ kind, silentForMs, thresholdMs }) => log(`stale: ${kind}, silent ${silentForMs} ms (threshold ${thresholdMs} ms)`));
stream.on('reconnecting', ({ attempt, delayMs }) => log(`reconnecting: attempt ${attempt} in ${Math.round(delayMs)} ms`));
stream.on('error', (error) => log(`error ${error.code}: ${error.message}`));
stream.start();

const scenes = [
  [1_500, 'the server stalls: socket open, pings answered, no data', () => feed.faults.stall()],
  [4_000, 'the server recovers', () => feed.faults.resume()],
  [5_000, 'the server freezes: a half-open socket, nothing at all arrives', () => feed.faults.freeze()],
  [7_500, 'the server drops every connection without a close frame', () => feed.faults.drop()],
];
for (const [at, what, inject] of scenes) {
  setTimeout(() => { log(`>>> ${what}`); inject(); }, at);
}

setTimeout(async () => {
  const health = stream.health();
  log(`done: ${received} data messages, ${health.reconnects} reconnects, state ${health.state}`);
  await stream.close();
  await feed.close();
}, 9_500);
