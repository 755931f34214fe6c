// Shared by the venue examples: start the fault server in-process with a venue's dialect, watch
// books through the preset, inject the venue's faults, then check every book against the server's.
import { createFeedServer } from 'resilient-stream/testing';
import { watchOrderBook } from 'resilient-stream/venues';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {{ dialect: string, symbols: string[], path: string, bookTopic: (s: string) => string,
 *   spec: (url: string, restUrl: string) => object, faults: Array<[string, (feed: any) => void]> }} bot
 */
export async function runBot({ dialect, symbols, path, bookTopic, spec, faults }) {
  const started = Date.now();
  const log = (what) => console.log(`${String(Date.now() - started).padStart(5)} ms  ${what}`);
  const feed = await createFeedServer({ dialect, messagesPerSecond: 0, snapshotDelayMs: 15 });
  const base = spec(`${feed.url}${path}`, feed.httpUrl);
  const book = watchOrderBook({ ...base, heartbeat: { ...base.heartbeat, intervalMs: 300, timeoutMs: 300 }, backoff: { initialDelayMs: 50, maxDelayMs: 200 } });
  book.stream.on('error', (error) => log(`stream error ${error.code}: ${error.message}`));
  book.on('error', (error) => log(`venue error: ${error.text}`));
  book.on('rebuild', ({ symbol, reason }) => log(`rebuilding ${symbol} alone (${reason})`));
  book.stream.on('close', ({ code, willReconnect }) => log(`socket closed (${code})${willReconnect ? '; reconnecting' : ''}`));
  await book.ready;
  log(`books ready: ${symbols.join(', ')}`);
  const publisher = setInterval(() => symbols.forEach((s) => feed.publish(bookTopic(s))), 5);
  for (const [what, inject] of faults) {
    log(`>>> ${what}`);
    inject(feed);
    await sleep(400);
  }
  clearInterval(publisher);
  feed.faults.clear();
  let same = false;
  for (let i = 0; i < 300 && !same; i++) {
    await sleep(20);
    same = book.stream.state === 'open' && symbols.every((s) => {
      const view = book.book(s);
      const server = feed.book(s);
      return view.consistent && JSON.stringify([view.bids(), view.asks()]) === JSON.stringify([server.bids, server.asks]);
    });
  }
  for (const s of symbols) {
    const [bid] = book.book(s).bids(1);
    const [ask] = book.book(s).asks(1);
    log(`${s}: best bid ${bid?.join(' x ')}, best ask ${ask?.join(' x ')}, ${book.book(s).bids().length} bids, ${book.book(s).asks().length} asks`);
  }
  if (same) log('every local book == the server book, level by level');
  else {
    log('MISMATCH: a local book differs from the server book');
    process.exitCode = 1;
  }
  await book.close();
  await feed.close();
}
