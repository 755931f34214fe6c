// Node consumer of resilient-stream/testing without @types/ws (compiled, never run).
import { createFeedServer, type DepthUpdateEvent, type FeedDialect } from 'resilient-stream/testing';
import { okx, watchOrderBook } from 'resilient-stream/venues';

const dialect: FeedDialect = 'okx';
const feed = await createFeedServer({ dialect, messagesPerSecond: 0, seed: 7 });
const book = watchOrderBook(okx.book('BTC-USDT', { url: `${feed.url}/ws/v5/public` }));
await book.ready;
feed.faults.gap(2, 'books:BTC-USDT');
const depth: DepthUpdateEvent | undefined = undefined;
void depth;
// @ts-expect-error not a dialect
const wrong: FeedDialect = 'ftx';
void wrong;
await book.close();
await feed.close();
