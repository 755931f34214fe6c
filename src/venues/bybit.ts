import { ChainCounter } from './chain-counter.js';
import { checkBookOverrides, counter, isObject, symbolList, withOverrides } from './preset.js';
import { BOOK_FEED, type BookFeed, type BookSpec, type PriceLevel, type Venue, type VenueOverrides } from './types.js';
import { VenueError, type VenueName } from './venue-error.js';
import type { ResilientStreamOptions } from '../options.js';

/** One trade of `publicTrade.<symbol>`. */
export interface BybitTrade { T: number; s: string; S: 'Buy' | 'Sell'; v: string; p: string; L?: string; i: string; BT: boolean }
/** A `publicTrade.<symbol>` push. */
export interface BybitTradeMessage { topic: string; type: 'snapshot'; ts: number; data: BybitTrade[] }
/** An `orderbook.<depth>.<symbol>` push: a snapshot replaces the book, a delta changes it; `u` counts updates. */
export interface BybitBookMessage {
  topic: string; type: 'snapshot' | 'delta'; ts: number; cts?: number;
  data: { s: string; b: PriceLevel[]; a: PriceLevel[]; u: number; seq: number };
}
/** The answer to subscribe, unsubscribe and (spot) ping: `{"success":true,"ret_msg":"","op":"subscribe",...}`. */
export interface BybitOpResponse { success: boolean; ret_msg: string; op: string; conn_id?: string; req_id?: string; args?: string[] }
/** Everything a Bybit preset's stream may deliver. */
export type BybitMessage = BybitTradeMessage | BybitBookMessage | BybitOpResponse;
/** What the Bybit presets send. */
export interface BybitRequest { req_id: string; op: 'subscribe' | 'unsubscribe' | 'ping'; args?: string[] }

const SYMBOL = /^[A-Z0-9]{2,25}$/;
/** Spot accepts at most 10 args per subscribe request. */
const SPOT_MAX_ARGS = 10;

function isBook(message: unknown): message is BybitBookMessage {
  return isObject(message) && typeof message.topic === 'string' && message.topic.startsWith('orderbook.');
}

function make(name: VenueName, category: 'spot' | 'linear'): Venue<BybitMessage, BybitRequest> {
  const url = `wss://stream.bybit.com/v5/public/${category}`;
  const errorOf = (m: BybitMessage): VenueError | undefined =>
    isObject(m) && m.success === false ? new VenueError(name, String(m.ret_msg), m) : undefined;
  const base = (topics: string[], overrides: VenueOverrides<BybitMessage, BybitRequest> | undefined): ResilientStreamOptions<BybitMessage, BybitRequest> => {
    const id = counter();
    return withOverrides<BybitMessage, BybitRequest>({
      url,
      topics,
      subscribe: ({ topics: args }) => ({ req_id: String(id()), op: 'subscribe', args }),
      unsubscribe: ({ topics: args }) => ({ req_id: String(id()), op: 'unsubscribe', args }),
      maxTopicsPerMessage: category === 'spot' ? SPOT_MAX_ARGS : undefined,
      isData: (m) => isObject(m) && typeof m.topic === 'string',
      topicOf: (m) => (isObject(m) && typeof m.topic === 'string' ? m.topic : undefined),
      // Bybit asks for {"op":"ping"} about every 20 s; spot answers ret_msg "pong", linear answers op "pong".
      heartbeat: {
        intervalMs: 20_000,
        timeoutMs: 10_000,
        ping: () => ({ req_id: String(id()), op: 'ping' }),
        isPong: (m) => isObject(m) && (m.op === 'pong' || (m.op === 'ping' && m.ret_msg === 'pong')),
      },
    }, overrides);
  };
  const topicOf = (symbol: string): string => `orderbook.50.${symbol}`;
  return {
    name,
    url,
    errorOf,
    trades: (symbols, overrides) => base(symbolList(symbols, SYMBOL, '"BTCUSDT"').map((s) => `publicTrade.${s}`), overrides),
    book: (symbols, overrides): BookSpec<BybitMessage, BybitRequest> => {
      const list = symbolList(symbols, SYMBOL, '"BTCUSDT"');
      checkBookOverrides(overrides, { none: `the ${name} preset keeps the orderbook.50 book` });
      const chain = new ChainCounter();
      const feed: BookFeed<BybitMessage> = {
        venue: name, symbols: list, snapshots: 'websocket', depth: undefined, numbered: true, topicOf, errorOf, onSnapshot: undefined,
        read: (m) => {
          if (!isBook(m)) return [];
          // Levels are [price, size] strings ("17440.00", v5 WebSocket "Orderbook"); the book checks them.
          const { s, b, a, u } = isObject(m.data) ? m.data : {};
          const symbol = typeof s === 'string' ? s : m.topic.slice(m.topic.lastIndexOf('.') + 1);
          // u is consecutive between deltas; a snapshot (u = 1 after a service restart too) starts over.
          return m.type === 'snapshot'
            ? [{ symbol, kind: 'snapshot', bids: b, asks: a, first: u, last: u }]
            : [{ symbol, kind: 'delta', bids: b, asks: a, first: u, last: u, previous: typeof u === 'number' ? u - 1 : undefined }];
        },
      };
      return {
        ...base(list.map(topicOf), overrides),
        sequence: (m) => (!isBook(m) || !isObject(m.data) || typeof m.data.u !== 'number' ? undefined
          : m.type === 'snapshot' ? chain.snapshot(m.topic, m.data.u) : chain.link(m.topic, m.data.u - 1, m.data.u)),
        ...(overrides?.sequence === undefined ? {} : { sequence: overrides.sequence }),
        [BOOK_FEED]: feed,
      };
    },
  };
}

/** Bybit v5 spot: `wss://stream.bybit.com/v5/public/spot`, symbols like `BTCUSDT`; `orderbook.50` snapshot + deltas by `u`. */
export const bybit: Venue<BybitMessage, BybitRequest> = make('bybit', 'spot');
/** Bybit v5 linear (USDT perpetuals): `wss://stream.bybit.com/v5/public/linear`; same wire format as spot. */
export const bybitLinear: Venue<BybitMessage, BybitRequest> = make('bybit', 'linear');
