// CommonJS consumers get the same declarations (compiled, never run).
import { kraken, watchOrderBook } from 'resilient-stream/venues';
const book = watchOrderBook(kraken.book('ETH/USD', { url: 'ws://127.0.0.1:1/v2' }));
book.on('error', (error) => console.error(error.text));
void book.close();
