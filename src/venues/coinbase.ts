import { checkBookOverrides, isObject, symbolList, withOverrides } from './preset.js';
import { BOOK_FEED, type BookFeed, type BookSpec, type Venue, type VenueOverrides } from './types.js';
import { VenueError } from './venue-error.js';
import type { ResilientStreamOptions } from '../options.js';

/** Fields every Advanced Trade message carries; `sequence_num` counts every message of the connection. */
interface Envelope { client_id?: string; timestamp: string; sequence_num: number }
/** One level change of `l2_data`: `new_quantity` is absolute, `"0"` removes the level. */
export interface CoinbaseL2Update { side: 'bid' | 'offer'; event_time: string; price_level: string; new_quantity: string }
/** The `level2` channel's messages (`channel: "l2_data"`): a `snapshot` event, then `update` events. */
export interface CoinbaseL2Message extends Envelope {
  channel: 'l2_data';
  events: Array<{ type: 'snapshot' | 'update'; product_id: string; updates: CoinbaseL2Update[] }>;
}
/** The `market_trades` channel. */
export interface CoinbaseTradesMessage extends Envelope {
  channel: 'market_trades';
  events: Array<{ type: 'snapshot' | 'update'; trades: Array<{ trade_id: string; product_id: string; price: string; size: string; side: 'BUY' | 'SELL'; time: string }> }>;
}
/** The `heartbeats` channel: once a second, keeps quiet connections open. */
export interface CoinbaseHeartbeatsMessage extends Envelope {
  channel: 'heartbeats';
  events: Array<{ current_time: string; heartbeat_counter: number }>;
}
/** The answer to a subscription change. */
export interface CoinbaseSubscriptionsMessage extends Envelope {
  channel: 'subscriptions';
  events: Array<{ subscriptions: Record<string, string[]> }>;
}
/** A refused request. */
export interface CoinbaseErrorMessage { type: 'error'; message: string }
/** Everything the Coinbase preset's stream may deliver. */
export type CoinbaseMessage = CoinbaseL2Message | CoinbaseTradesMessage | CoinbaseHeartbeatsMessage | CoinbaseSubscriptionsMessage | CoinbaseErrorMessage;
/** What the Coinbase preset sends: one channel per message. */
export interface CoinbaseRequest { type: 'subscribe' | 'unsubscribe'; channel: string; product_ids?: string[] }

const SYMBOL = /^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$/;
const URL = 'wss://advanced-trade-ws.coinbase.com';
const HEARTBEATS = 'heartbeats';
/** The wire name of each subscribed channel's messages. */
const CHANNEL_OF: Record<string, string> = { l2_data: 'level2', market_trades: 'market_trades' };

const errorOf = (m: CoinbaseMessage): VenueError | undefined =>
  isObject(m) && m.type === 'error' ? new VenueError('coinbase', String(m.message), m) : undefined;

function requests(type: 'subscribe' | 'unsubscribe', topics: string[]): CoinbaseRequest[] {
  const byChannel = new Map<string, string[]>();
  for (const topic of topics) {
    const at = topic.indexOf(':');
    if (at < 0) byChannel.set(topic, byChannel.get(topic) ?? []);
    else byChannel.set(topic.slice(0, at), [...(byChannel.get(topic.slice(0, at)) ?? []), topic.slice(at + 1)]);
  }
  return [...byChannel].map(([channel, ids]) => (ids.length === 0 ? { type, channel } : { type, product_ids: ids, channel }));
}

function productOf(m: CoinbaseMessage): string | undefined {
  if (!isObject(m) || !Array.isArray(m.events)) return undefined;
  const event: unknown = m.events[0];
  if (!isObject(event)) return undefined;
  if (typeof event.product_id === 'string') return event.product_id;
  const trade: unknown = Array.isArray(event.trades) ? event.trades[0] : undefined;
  return isObject(trade) && typeof trade.product_id === 'string' ? trade.product_id : undefined;
}

function base(topics: string[], overrides: VenueOverrides<CoinbaseMessage, CoinbaseRequest> | undefined): ResilientStreamOptions<CoinbaseMessage, CoinbaseRequest> {
  return withOverrides<CoinbaseMessage, CoinbaseRequest>({
    url: URL,
    // Heartbeats keep every subscription open (channels close after 60-90 s without updates).
    topics: [...topics, HEARTBEATS],
    subscribe: ({ topics: t }) => requests('subscribe', t),
    unsubscribe: ({ topics: t }) => requests('unsubscribe', t),
    isData: (m) => isObject(m) && (m.channel === 'l2_data' || m.channel === 'market_trades'),
    topicOf: (m) => {
      if (!isObject(m) || typeof m.channel !== 'string') return undefined;
      if (m.channel === HEARTBEATS) return HEARTBEATS;
      const channel = CHANNEL_OF[m.channel];
      const product = productOf(m);
      return channel === undefined || product === undefined ? undefined : `${channel}:${product}`;
    },
    heartbeat: { intervalMs: 10_000, timeoutMs: 5_000 },
  }, overrides);
}

const topicOf = (symbol: string): string => `level2:${symbol}`;

/**
 * `l2_data` updates by side, as `[price_level, new_quantity]` strings ("21921.73", Advanced Trade
 * "Level 2 order book"). An update that is neither `bid` nor `offer` goes to `bids` as it is, so the
 * book refuses it (and says what it was); so does an `updates` that is not a list.
 */
function sides(updates: unknown): { bids: unknown; asks: unknown } {
  if (!Array.isArray(updates)) return { bids: updates, asks: [] };
  const bids: unknown[] = [];
  const asks: unknown[] = [];
  for (const u of updates) {
    if (isObject(u) && (u.side === 'bid' || u.side === 'offer')) (u.side === 'bid' ? bids : asks).push([u.price_level, u.new_quantity]);
    else bids.push(u);
  }
  return { bids, asks };
}

/** Coinbase Advanced Trade: `wss://advanced-trade-ws.coinbase.com`, products like `BTC-USD`; `level2` checked by `sequence_num`. */
export const coinbase: Venue<CoinbaseMessage, CoinbaseRequest> = {
  name: 'coinbase',
  url: URL,
  errorOf,
  trades: (symbols, overrides) => base(symbolList(symbols, SYMBOL, '"BTC-USD"').map((s) => `market_trades:${s}`), overrides),
  book: (symbols, overrides): BookSpec<CoinbaseMessage, CoinbaseRequest> => {
    const list = symbolList(symbols, SYMBOL, '"BTC-USD"');
    checkBookOverrides(overrides, { none: 'the coinbase preset keeps the whole level2 book' });
    const feed: BookFeed<CoinbaseMessage> = {
      venue: 'coinbase', symbols: list, snapshots: 'websocket', depth: undefined, topicOf, errorOf, onSnapshot: undefined,
      connectionSequence: (m) => (isObject(m) && typeof m.sequence_num === 'number' ? m.sequence_num : undefined),
      read: (m) => {
        if (!isObject(m) || m.channel !== 'l2_data') return [];
        return (Array.isArray(m.events) ? m.events : [undefined]).map((e: unknown) => {
          const event = isObject(e) ? e : {};
          return { symbol: event.product_id, kind: event.type === 'snapshot' ? 'snapshot' as const : 'delta' as const, ...sides(event.updates) };
        });
      },
    };
    return { ...base(list.map(topicOf), overrides), [BOOK_FEED]: feed };
  },
};
