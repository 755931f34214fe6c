// Compiled by tsc in test/venues/package.test.ts against the built dist; never run. No @types/ws,
// no @types/node (`types: []`, and `ws` mapped to a missing file). Every @ts-expect-error must be an error.
import { ResilientStream } from 'resilient-stream';
import {
  binance, binanceFutures, bybit, coinbase, kraken, okx, watchOrderBook, watchVenueErrors,
  type BinanceMessage, type BybitMessage, type OkxMessage, type PriceLevel, type VenueError,
} from 'resilient-stream/venues';

const spot = new ResilientStream(binance.trades(['BTCUSDT', 'ETHUSDT']));
spot.on('message', (message: BinanceMessage) => {
  if ('e' in message && message.e === 'trade') {
    const price: string = message.p;
    void price;
    // @ts-expect-error trades have no `pu`
    void message.pu;
  }
});
spot.on('error', (error) => console.error(error.code));
watchVenueErrors(spot, binance, (error: VenueError) => console.error(error.text, error.code));

const futures = watchOrderBook(binanceFutures.book('BTCUSDT', { depth: 500 }));
const bybitBook = watchOrderBook(bybit.book(['BTCUSDT', 'ETHUSDT']));
const okxBook = watchOrderBook(okx.book('BTC-USDT'));
const krakenBook = watchOrderBook(kraken.book('BTC/USD'));
const coinbaseBook = watchOrderBook(coinbase.book('BTC-USD'));

async function bot(): Promise<void> {
  await okxBook.ready;
  const best: PriceLevel | undefined = okxBook.bids(1)[0];
  const [price, quantity]: [string, string] = best ?? ['0', '0'];
  const sequence: number | undefined = okxBook.sequence;
  const at: number | undefined = okxBook.updatedAt;
  okxBook.on('update', ({ symbol, kind }) => console.log(symbol, kind));
  okxBook.on('rebuild', ({ reason }) => console.log(reason));
  okxBook.on('error', (error) => console.error(error.venue, error.text));
  bybitBook.book('ETHUSDT').asks(5);
  okxBook.stream.on('message', (message: OkxMessage) => void message);
  bybitBook.stream.on('message', (message: BybitMessage) => void message);
  // @ts-expect-error the order book handle has no `send`
  okxBook.send('ping');
  // @ts-expect-error okx sends OkxRequest, not arbitrary objects
  okxBook.stream.send({ op: 'nope' });
  console.log(price, quantity, sequence, at, krakenBook.asks(10), coinbaseBook.bids(), futures.symbols);
  await Promise.all([futures.close(), bybitBook.close(), okxBook.close(), krakenBook.close(), coinbaseBook.close()]);
}
void bot();

// @ts-expect-error overrides are typed stream options
kraken.book('BTC/USD', { staleAfterMs: 'soon' });
