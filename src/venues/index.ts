/**
 * `resilient-stream/venues`: typed presets for public exchange feeds and exact local order books.
 * Browser-safe (no Node-only import); it does not add to the main entry.
 *
 * @example
 * ```ts
 * import { okx, watchOrderBook } from 'resilient-stream/venues';
 * const book = watchOrderBook(okx.book('BTC-USDT'));
 * book.on('error', (error) => console.error(error.text));
 * await book.ready;
 * console.log(book.bids(5));
 * ```
 */
export { binance, binanceFutures } from './binance.js';
export type {
  AggTradeEvent, BinanceErrorFrame, BinanceFuturesMessage, BinanceMessage, BinanceRequest, BinanceResult,
  DepthSnapshot, DepthUpdateEvent, FuturesDepthUpdateEvent, ServerShutdownEvent, TradeEvent,
} from './binance.js';
export { bybit, bybitLinear } from './bybit.js';
export type { BybitBookMessage, BybitMessage, BybitOpResponse, BybitRequest, BybitTrade, BybitTradeMessage } from './bybit.js';
export { okx } from './okx.js';
export type { OkxArg, OkxBookMessage, OkxEvent, OkxLevel, OkxMessage, OkxRequest, OkxTradeMessage } from './okx.js';
export { kraken, krakenChecksum } from './kraken.js';
export type { KrakenBookMessage, KrakenChannelMessage, KrakenLevel, KrakenMessage, KrakenMethodResponse, KrakenRequest, KrakenTradeMessage } from './kraken.js';
export { coinbase } from './coinbase.js';
export type {
  CoinbaseErrorMessage, CoinbaseHeartbeatsMessage, CoinbaseL2Message, CoinbaseL2Update, CoinbaseMessage, CoinbaseRequest,
  CoinbaseSubscriptionsMessage, CoinbaseTradesMessage,
} from './coinbase.js';
export { watchOrderBook } from './watch-order-book.js';
export type { BookRebuildEvent, BookUpdateEvent, BookView, OrderBookEvents, OrderBookHandle, WatchOptions } from './watch-order-book.js';
export { watchVenueErrors } from './venue-errors.js';
export { VenueError, isVenueError } from './venue-error.js';
export type { VenueName } from './venue-error.js';
export { compareDecimal } from './decimal.js';
export { crc32 } from './crc32.js';
export { BOOK_FEED } from './types.js';
export type { BookFeed, BookOverrides, BookSpec, BookUpdate, FetchLike, PriceLevel, SnapshotSource, Venue, VenueOverrides, WireUpdate } from './types.js';
