// Binance spot books for two symbols on one connection, kept exact through dropped deltas, a
// duplicate, a stale REST snapshot, a dropped socket and a shutdown notice.   npm run example:binance
import { binance } from 'resilient-stream/venues';
import { runBot } from './run-bot.mjs';

await runBot({
  dialect: 'binance',
  symbols: ['BTCUSDT', 'ETHUSDT'],
  path: '/ws',
  bookTopic: (symbol) => `${symbol.toLowerCase()}@depth`,
  spec: (url, restUrl) => binance.book(['BTCUSDT', 'ETHUSDT'], { url, restUrl }),
  faults: [
    ['the exchange loses 3 BTCUSDT depth events', (feed) => feed.faults.gap(3, 'btcusdt@depth')],
    ['the exchange sends the last ETHUSDT event twice', (feed) => feed.faults.duplicate('ethusdt@depth')],
    ['the next snapshot is stale, and 2 events are lost', (feed) => { feed.faults.staleSnapshot(); feed.faults.gap(2, 'ethusdt@depth'); }],
    ['the connection drops without a close frame', (feed) => feed.faults.drop()],
    ['the server announces a shutdown (serverShutdown)', (feed) => feed.faults.shutdownNotice()],
  ],
});
