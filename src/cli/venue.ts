import { ResilientStream } from '../index.js';
import { binance, binanceFutures, bybit, coinbase, kraken, okx, type Venue, type VenueName, type VenueOverrides } from '../venues/index.js';

/** The venue presets `tail --venue` knows, by name. */
export const VENUE_NAMES: readonly VenueName[] = Object.freeze(['binance', 'binance-futures', 'bybit', 'okx', 'kraken', 'coinbase']);

/** Where `--venue` takes its stream options from. */
export interface VenueChoice {
  readonly venue: VenueName;
  /** Symbols in the venue's notation (`BTCUSDT`, `BTC-USD`, `BTC/USD`). */
  readonly topics: readonly string[];
  /** Another endpoint than the venue's public one (a local fault server, a testnet). */
  readonly url?: string;
  readonly stale?: number;
}

/** Whatever is done with the stream, for any message type. */
export type UseStream<R> = <In, Out>(stream: ResilientStream<In, Out>) => R;

/**
 * Builds a stream of the venue's trades for the symbols (the preset's subscribe, heartbeat, data
 * and sequence rules) and hands it to `use`.
 * @throws the preset's own error for a malformed symbol.
 */
export function withVenueStream<R>(choice: VenueChoice, use: UseStream<R>): R {
  switch (choice.venue) {
    case 'binance': return use(create(binance, choice));
    case 'binance-futures': return use(create(binanceFutures, choice));
    case 'bybit': return use(create(bybit, choice));
    case 'okx': return use(create(okx, choice));
    case 'kraken': return use(create(kraken, choice));
    case 'coinbase': return use(create(coinbase, choice));
  }
}

function create<In, Out>(venue: Venue<In, Out>, choice: VenueChoice): ResilientStream<In, Out> {
  const overrides: VenueOverrides<In, Out> = {
    ...(choice.stale === undefined ? {} : { staleAfterMs: choice.stale }),
    ...(choice.url === undefined ? {} : { url: choice.url }),
  };
  return new ResilientStream(venue.trades(choice.topics, overrides));
}
