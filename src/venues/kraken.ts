import { crc32 } from './crc32.js';
import { checkBookOverrides, counter, isObject, symbolList, withOverrides } from './preset.js';
import { BOOK_FEED, type BookFeed, type BookSpec, type PriceLevel, type Venue, type VenueOverrides } from './types.js';
import { VenueError } from './venue-error.js';
import type { ResilientStreamOptions } from '../options.js';

/**
 * One level. Kraken sends `price` and `qty` as JSON numbers; the preset's `decode` keeps the
 * digits exactly as sent, as strings, so nothing ever passes through a float.
 */
export interface KrakenLevel { price: string; qty: string }
/** A `book` message: a `snapshot` replaces the book, an `update` changes it; `checksum` is CRC32 over the top 10. */
export interface KrakenBookMessage {
  channel: 'book'; type: 'snapshot' | 'update';
  data: Array<{ symbol: string; bids: KrakenLevel[]; asks: KrakenLevel[]; checksum: number; timestamp?: string }>;
}
/** A `trade` message. */
export interface KrakenTradeMessage {
  channel: 'trade'; type: 'snapshot' | 'update';
  data: Array<{ symbol: string; side: 'buy' | 'sell'; price: string; qty: string; ord_type: string; trade_id: number; timestamp: string }>;
}
/** `{"channel":"heartbeat"}` about once a second when nothing else flows; `status` on connect. */
export interface KrakenChannelMessage { channel: 'heartbeat' | 'status'; type?: string; data?: unknown[] }
/** Answers to `subscribe`, `unsubscribe` and `ping` (`method: "pong"`); `success: false` carries `error`. */
export interface KrakenMethodResponse {
  method: 'subscribe' | 'unsubscribe' | 'pong'; success?: boolean; error?: string; result?: Record<string, unknown>;
  req_id?: number; time_in?: string; time_out?: string; symbol?: string;
}
/** Everything the Kraken preset's stream may deliver. */
export type KrakenMessage = KrakenBookMessage | KrakenTradeMessage | KrakenChannelMessage | KrakenMethodResponse;
/** What the Kraken preset sends. */
export type KrakenRequest =
  | { method: 'subscribe' | 'unsubscribe'; params: { channel: string; symbol: string[]; depth?: number }; req_id: number }
  | { method: 'ping'; req_id: number };

const SYMBOL = /^[A-Z0-9]{1,12}\/[A-Z0-9]{1,12}$/;
const URL = 'wss://ws.kraken.com/v2';
/** The subscribed depth; the checksum always covers the top 10. */
const DEPTH = 10;
/** "depth: integer, one of 10, 25, 100, 500, 1000; default 10" (API docs, WebSocket v2 "Book (Level 2)"). */
const DEPTHS = [10, 25, 100, 500, 1000];
/**
 * `"price":123.45` → `"price":"123.45"` (and `qty`), before JSON.parse can round anything. An exponent
 * or a sign is kept as sent, and the book refuses it (Kraken's checksum guide hashes plain digits).
 */
const NUMBER_FIELD = /"(price|qty)"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** Kraken's checksum: CRC32 of the top 10 asks (low to high) then bids (high to low), each price and qty without the point and leading zeros. */
export function krakenChecksum(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): number {
  let text = '';
  for (const [price, qty] of asks.slice(0, 10)) text += digits(price) + digits(qty);
  for (const [price, qty] of bids.slice(0, 10)) text += digits(price) + digits(qty);
  return crc32(text);
}

function digits(decimal: string): string {
  return decimal.replace('.', '').replace(/^0+/, '');
}

function isBook(message: unknown): message is KrakenBookMessage {
  return isObject(message) && message.channel === 'book' && Array.isArray(message.data);
}

const errorOf = (m: KrakenMessage): VenueError | undefined => {
  if (!isObject(m)) return undefined;
  if (m.success === false) return new VenueError('kraken', String(m.error ?? ''), m);
  // Rate limiting is answered {"Error":"Exceeded msg rate"}.
  const rateError: unknown = (m as Record<string, unknown>).Error;
  if (typeof rateError === 'string') return new VenueError('kraken', rateError, m);
  return undefined;
};

function requests(method: 'subscribe' | 'unsubscribe', topics: string[], depth: number, id: () => number): KrakenRequest[] {
  const byChannel = new Map<string, string[]>();
  for (const topic of topics) {
    const at = topic.indexOf(':');
    const channel = topic.slice(0, at);
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), topic.slice(at + 1)]);
  }
  return [...byChannel].map(([channel, symbol]) => ({
    method, params: channel === 'book' ? { channel, symbol, depth } : { channel, symbol }, req_id: id(),
  }));
}

function base(topics: string[], depth: number, overrides: VenueOverrides<KrakenMessage, KrakenRequest> | undefined): ResilientStreamOptions<KrakenMessage, KrakenRequest> {
  const id = counter();
  return withOverrides<KrakenMessage, KrakenRequest>({
    url: URL,
    topics,
    decode: (data) => {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
      return JSON.parse(text.replace(NUMBER_FIELD, '"$1":"$2"')) as KrakenMessage;
    },
    subscribe: ({ topics: t }) => requests('subscribe', t, depth, id),
    unsubscribe: ({ topics: t }) => requests('unsubscribe', t, depth, id),
    isData: (m) => isObject(m) && (m.channel === 'book' || m.channel === 'trade') && Array.isArray(m.data),
    topicOf: (m) => {
      if (!isObject(m) || (m.channel !== 'book' && m.channel !== 'trade') || !Array.isArray(m.data)) return undefined;
      const first: unknown = m.data[0];
      return isObject(first) ? `${m.channel}:${String(first.symbol)}` : undefined;
    },
    // The server sends {"channel":"heartbeat"} every second when quiet; the app ping is {"method":"ping"}.
    heartbeat: {
      intervalMs: 10_000,
      timeoutMs: 5_000,
      ping: () => ({ method: 'ping', req_id: id() }),
      isPong: (m) => isObject(m) && m.method === 'pong',
    },
  }, overrides);
}

const topicOf = (symbol: string): string => `book:${symbol}`;
/** `{price, qty}` → `[price, qty]` as decoded (strings); anything else is passed on for the book to refuse. */
const level = (entry: unknown): unknown => (isObject(entry) ? [entry.price, entry.qty] : entry);
const levels = (side: unknown): unknown => (Array.isArray(side) ? side.map(level) : side);

/** Kraken spot v2: `wss://ws.kraken.com/v2`, pairs like `BTC/USD`; `book` depth 10 checked by CRC32. */
export const kraken: Venue<KrakenMessage, KrakenRequest> = {
  name: 'kraken',
  url: URL,
  errorOf,
  trades: (symbols, overrides) => base(symbolList(symbols, SYMBOL, '"BTC/USD"').map((s) => `trade:${s}`), DEPTH, overrides),
  book: (symbols, overrides): BookSpec<KrakenMessage, KrakenRequest> => {
    const list = symbolList(symbols, SYMBOL, '"BTC/USD"');
    checkBookOverrides(overrides, { oneOf: DEPTHS, what: 'the kraken book subscription depth' });
    const depth = overrides?.depth ?? DEPTH;
    const feed: BookFeed<KrakenMessage> = {
      venue: 'kraken', symbols: list, snapshots: 'websocket', depth, topicOf, errorOf, onSnapshot: undefined,
      checksum: krakenChecksum,
      read: (m) => (!isBook(m) ? [] : m.data.map((d: unknown) => {
        const { symbol, bids, asks, checksum } = isObject(d) ? d : {};
        return { symbol, kind: m.type === 'snapshot' ? 'snapshot' as const : 'delta' as const, bids: levels(bids), asks: levels(asks), checksum };
      })),
    };
    return { ...base(list.map(topicOf), depth, overrides), [BOOK_FEED]: feed };
  },
};
