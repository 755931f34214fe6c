// A local order book that stays exact while the feed misbehaves. Starts a local Binance-style
// feed server, keeps a LocalOrderBook in step with it (REST snapshot in the resync hook, diff
// events from the stream), injects gaps, duplicates, drops and a stale snapshot, then checks the
// local book against the server's own book, level by level. Exits in about 4 s.
//   npm run example:order-book
import { ResilientStream } from 'resilient-stream';
import { createFeedServer } from 'resilient-stream/testing';
import { LocalOrderBook, orderBookOptions } from './order-book-lib.mjs';

const SYMBOL = 'BTCUSDT';
const TOPIC = 'btcusdt@depth';

// messagesPerSecond 0: this script publishes the depth events itself, so it can stop them at the
// end and compare both books at the same update id. The snapshot answer is delayed 20 ms, so
// events pile up behind it, as they do against the real exchange.
const feed = await createFeedServer({ dialect: 'binance', messagesPerSecond: 0, snapshotDelayMs: 20 });
const publisher = setInterval(() => feed.publish(TOPIC), 10);

const book = new LocalOrderBook();
const stream = new ResilientStream({
  ...orderBookOptions({ wsUrl: feed.url, restUrl: feed.httpUrl, symbol: SYMBOL, book }),
  backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
});

const started = Date.now();
const log = (what) => console.log(`${String(Date.now() - started).padStart(5)} ms  ${what}`);
stream.on('message', (message) => book.apply(message));
stream.on('gap', ({ expected, received }) => log(`gap: expected update ${expected}, got ${received}`));
stream.on('resyncing', ({ reason }) => log(`resyncing (${reason}): fetching the depth snapshot, holding events`));
stream.on('resynced', ({ reason, durationMs, replayed, dropped, attempts }) =>
  log(`resynced (${reason}) in ${durationMs.toFixed(1)} ms: ${dropped} held events already in the snapshot, ` +
    `${replayed} replayed, ${attempts} snapshot fetch(es); book at ${book.lastUpdateId}`));
stream.on('close', ({ code }) => log(`socket closed with code ${code}`));
stream.on('reconnecting', ({ attempt, delayMs }) => log(`reconnecting: attempt ${attempt} in ${Math.round(delayMs)} ms`));
stream.on('error', (error) => log(`error ${error.code}: ${error.message}`));
stream.start();

const scenes = [
  [500, 'the exchange loses 3 depth events', () => feed.faults.gap(3, TOPIC)],
  [1_000, 'the exchange sends the last event twice', () => feed.faults.duplicate(TOPIC)],
  [1_500, 'the connection drops without a close frame', () => feed.faults.drop()],
  [2_200, 'the next snapshot is stale (older than the held events), and 2 events are lost', () => {
    feed.faults.staleSnapshot();
    feed.faults.gap(2, TOPIC);
  }],
  [2_800, 'the server closes every connection with 1011', () => feed.faults.closeAll(1011, 'internal error')],
];
for (const [at, what, inject] of scenes) setTimeout(() => { log(`>>> ${what}`); inject(); }, at);

setTimeout(finish, 3_500);

async function finish() {
  clearInterval(publisher);
  log('>>> publishing stopped; waiting for the local book to catch up');
  const target = feed.book(SYMBOL).lastUpdateId;
  for (let i = 0; i < 300 && !(stream.state === 'open' && book.lastUpdateId === target); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const local = JSON.stringify(book.snapshot());
  const server = JSON.stringify(feed.book(SYMBOL));
  const { bids, asks, lastUpdateId } = book.snapshot();
  const health = stream.health();
  log(`applied ${book.snapshots} snapshots and ${book.updates} events; ` +
    `${health.gaps} gaps, ${health.duplicates} duplicates dropped, ${health.resyncs} resyncs, ${health.reconnects} reconnects`);
  if (local === server && book.violations.length === 0) {
    log(`local book == server book: update ${lastUpdateId}, ${bids.length} bids, ${asks.length} asks, every level equal`);
  } else {
    log(`MISMATCH: local book at ${lastUpdateId}, server at ${target}; violations: ${book.violations.join('; ') || 'none'}`);
    process.exitCode = 1;
  }
  await stream.close();
  await feed.close();
}
