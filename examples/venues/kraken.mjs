// Kraken v2 depth-10 books checked by CRC32, kept exact through a corrupted checksum, lost updates,
// a stall and a dropped socket.   npm run example:kraken
import { kraken } from 'resilient-stream/venues';
import { runBot } from './run-bot.mjs';

await runBot({
  dialect: 'kraken',
  symbols: ['BTC/USD', 'ETH/USD'],
  path: '/v2',
  bookTopic: (symbol) => `book:${symbol}`,
  spec: (url) => kraken.book(['BTC/USD', 'ETH/USD'], { url }),
  faults: [
    ['one BTC/USD update carries a corrupted checksum', (feed) => feed.corruptChecksum(1)],
    ['the exchange loses 2 ETH/USD updates', (feed) => feed.faults.gap(2, 'book:ETH/USD')],
    ['data stalls for a moment', (feed) => { feed.faults.stall(); setTimeout(() => feed.faults.resume(), 150); }],
    ['the connection drops without a close frame', (feed) => feed.faults.drop()],
  ],
});
