import { BinanceDialect } from '../binance-dialect.js';
import type { Dialect, FeedDialect } from '../dialect.js';
import { JsonDialect } from '../json-dialect.js';
import type { Random } from '../random.js';
import { BinanceFuturesDialect } from './binance-futures.js';
import { BybitDialect } from './bybit.js';
import { CoinbaseDialect } from './coinbase.js';
import { KrakenDialect } from './kraken.js';
import { OkxDialect } from './okx.js';

const FACTORIES: Record<FeedDialect, (random: Random) => Dialect> = {
  json: (random) => new JsonDialect(random),
  binance: (random) => new BinanceDialect(random),
  'binance-futures': (random) => new BinanceFuturesDialect(random),
  bybit: (random) => new BybitDialect(random),
  okx: (random) => new OkxDialect(random),
  kraken: (random) => new KrakenDialect(random),
  coinbase: (random) => new CoinbaseDialect(random),
};

/** The dialect named `name`, drawing prices and changes from `random`. */
export function createDialect(name: FeedDialect, random: Random): Dialect {
  return FACTORIES[name](random);
}
