import type { ResilientStreamOptions, ResyncContext, ResyncResult } from '../options.js';
import { checkBookOverrides, counter, fetchOf, isObject, symbolList, withOverrides, type DepthRule } from './preset.js';
import { BOOK_FEED, type BookFeed, type BookOverrides, type BookSpec, type PriceLevel, type Venue, type VenueOverrides, type WireUpdate } from './types.js';
import { VenueError, type VenueName } from './venue-error.js';

/** A trade (`<symbol>@trade`, spot). */
export interface TradeEvent { e: 'trade'; E: number; s: string; t: number; p: string; q: string; T: number; m: boolean; M: boolean }
/** An aggregate trade (`<symbol>@aggTrade`, USDⓈ-M futures). */
export interface AggTradeEvent { e: 'aggTrade'; E: number; s: string; a: number; p: string; q: string; f: number; l: number; T: number; m: boolean }
/** A diff depth event covering update ids `U` to `u` (spot). */
export interface DepthUpdateEvent { e: 'depthUpdate'; E: number; s: string; U: number; u: number; b: PriceLevel[]; a: PriceLevel[] }
/** A futures diff depth event: `pu` is the previous event's `u`. */
export interface FuturesDepthUpdateEvent extends DepthUpdateEvent { T: number; pu: number }
/** The answer to SUBSCRIBE/UNSUBSCRIBE: `{"result":null,"id":1}`. */
export interface BinanceResult { result: unknown; id: number | string | null }
/** A refused request: `{"error":{"code":2,"msg":"..."},"id":1}`. */
export interface BinanceErrorFrame { error: { code: number; msg: string }; id: number | string | null }
/** Sent before the server closes a connection for maintenance. */
export interface ServerShutdownEvent { e: 'serverShutdown'; E: number }
/** The REST depth snapshot (`GET /api/v3/depth`, `GET /fapi/v1/depth`). */
export interface DepthSnapshot { lastUpdateId: number; bids: PriceLevel[]; asks: PriceLevel[]; E?: number; T?: number }

/** Everything the spot preset's stream may deliver. */
export type BinanceMessage = TradeEvent | DepthUpdateEvent | BinanceResult | BinanceErrorFrame | ServerShutdownEvent;
/** Everything the futures preset's stream may deliver. */
export type BinanceFuturesMessage = AggTradeEvent | FuturesDepthUpdateEvent | BinanceResult | BinanceErrorFrame | ServerShutdownEvent;
/** What the Binance presets send. */
export interface BinanceRequest { method: 'SUBSCRIBE' | 'UNSUBSCRIBE'; params: string[]; id: number }

/** A connection lives at most 24 h; rotate well before (each connection draws its point in [0.9, 1] x this). */
const MAX_AGE_MS = 23 * 60 * 60 * 1000;
const SYMBOL = /^[A-Z0-9]{2,20}$/;

interface Flavour {
  readonly name: VenueName;
  readonly url: string;
  readonly restUrl: string;
  readonly depthPath: string;
  readonly trade: 'trade' | 'aggTrade';
  readonly messagesPerSecond: number;
  /** The REST snapshot `limit`s the venue documents. */
  readonly depths: DepthRule;
}

const SPOT: Flavour = {
  name: 'binance', url: 'wss://stream.binance.com:9443/ws', restUrl: 'https://api.binance.com',
  depthPath: '/api/v3/depth', trade: 'trade', messagesPerSecond: 5,
  // "limit INT: Default 100; Maximum 5000" (spot REST API docs, "Order book", GET /api/v3/depth).
  depths: { from: 1, to: 5000, what: 'the binance REST snapshot `limit`' },
};
const FUTURES: Flavour = {
  name: 'binance-futures', url: 'wss://fstream.binance.com/ws', restUrl: 'https://fapi.binance.com',
  depthPath: '/fapi/v1/depth', trade: 'aggTrade', messagesPerSecond: 10,
  // "Valid limits:[5, 10, 20, 50, 100, 500, 1000]" (USDⓈ-M futures docs, "Order Book", GET /fapi/v1/depth).
  depths: { oneOf: [5, 10, 20, 50, 100, 500, 1000], what: 'the binance-futures REST snapshot `limit`' },
};

type AnyMessage = BinanceMessage | BinanceFuturesMessage;

function isEvent<E extends string>(message: unknown, e: E): message is { e: E; s: string } {
  return isObject(message) && message.e === e;
}

function lower(symbol: string): string {
  return symbol.toLowerCase();
}

function make<M extends AnyMessage>(flavour: Flavour): Venue<M, BinanceRequest> {
  const errorOf = (message: M): VenueError | undefined => {
    if (!isObject(message) || !isObject(message.error)) return undefined;
    const { code, msg } = message.error as { code?: unknown; msg?: unknown };
    return new VenueError(flavour.name, String(msg), message, code === undefined ? undefined : String(code));
  };
  const base = (topics: string[], overrides: VenueOverrides<M, BinanceRequest> | undefined): ResilientStreamOptions<M, BinanceRequest> => {
    const id = counter();
    return withOverrides<M, BinanceRequest>({
      url: flavour.url,
      topics,
      subscribe: ({ topics: t }) => ({ method: 'SUBSCRIBE', params: t, id: id() }),
      unsubscribe: ({ topics: t }) => ({ method: 'UNSUBSCRIBE', params: t, id: id() }),
      isData: (m) => isEvent(m, flavour.trade) || isEvent(m, 'depthUpdate'),
      topicOf: (m) => isEvent(m, 'depthUpdate') ? `${lower(m.s)}@depth@100ms` : isEvent(m, flavour.trade) ? `${lower(m.s)}@${flavour.trade}` : undefined,
      // The server pings every few minutes and ws answers; our own protocol ping only after 30 s of silence.
      heartbeat: { intervalMs: 30_000, timeoutMs: 10_000 },
      rotate: { maxAgeMs: MAX_AGE_MS, isNotice: (m) => isEvent(m, 'serverShutdown') },
      // Incoming messages per connection per second, pings and pongs included.
      // 80 % of the venue's incoming-message limit: a frame paced to the exact limit still meets
      // network jitter, and the venue closes with 1008 (measured against the fault server's limit).
      rateLimit: { messagesPerSecond: flavour.messagesPerSecond * 0.8, burst: 1, countControlFrames: true },
    }, overrides);
  };
  return {
    name: flavour.name,
    url: flavour.url,
    errorOf,
    trades: (symbols, overrides) => base(symbolList(symbols, SYMBOL, '"BTCUSDT"').map((s) => `${lower(s)}@${flavour.trade}`), overrides),
    book: (symbols, overrides) => book(flavour, symbolList(symbols, SYMBOL, '"BTCUSDT"'), overrides, base, errorOf),
  };
}

function book<M extends AnyMessage>(
  flavour: Flavour,
  symbols: string[],
  overrides: BookOverrides<M, BinanceRequest> | undefined,
  base: (topics: string[], overrides: VenueOverrides<M, BinanceRequest> | undefined) => ResilientStreamOptions<M, BinanceRequest>,
  errorOf: (message: M) => VenueError | undefined,
): BookSpec<M, BinanceRequest> {
  const topicOf = (symbol: string): string => `${lower(symbol)}@depth@100ms`;
  const bySymbol = new Map(symbols.map((symbol) => [topicOf(symbol), symbol]));
  checkBookOverrides(overrides, flavour.depths);
  const restUrl = overrides?.restUrl ?? flavour.restUrl;
  const limit = overrides?.depth ?? 1000;
  const feed: BookFeed<M> = {
    venue: flavour.name,
    symbols,
    snapshots: 'rest',
    depth: undefined,
    numbered: true,
    topicOf,
    errorOf,
    onSnapshot: undefined,
    read: (m) => (isObject(m) && m.e === 'depthUpdate' ? [depthUpdate(m, flavour.trade === 'aggTrade')] : []),
  };
  // Buffer-then-snapshot: the stream holds events while this runs, then drops those the snapshot
  // covers (u <= lastUpdateId) and replays the rest; a snapshot older than the first held event is fetched again.
  const resync = async ({ topics, signal }: ResyncContext): Promise<ResyncResult> => {
    const fetch = fetchOf(overrides);
    const sequences: Record<string, number> = {};
    for (const topic of topics) {
      const symbol = bySymbol.get(topic);
      if (symbol === undefined) continue;
      const response = await fetch(`${restUrl}${flavour.depthPath}?symbol=${symbol}&limit=${limit}`, { signal });
      if (!response.ok) throw await refused(flavour, response, symbol, feed);
      const body: unknown = await response.json();
      const snapshot = isObject(body) ? body : {};
      const id = snapshot.lastUpdateId;
      // The book checks the levels (and refuses a malformed snapshot whole); the stream needs the id.
      feed.onSnapshot?.({ symbol, kind: 'snapshot', bids: snapshot.bids, asks: snapshot.asks, first: id, last: id });
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new Error(`Expected an integer lastUpdateId in the ${symbol} snapshot, got ${typeof id}.`);
      sequences[topic] = id;
    }
    return { sequences };
  };
  const options = base([...bySymbol.keys()], overrides);
  return {
    sequence: (m) => {
      if (!isEvent(m, 'depthUpdate')) return undefined;
      const event = m as FuturesDepthUpdateEvent;
      // Futures chain by `pu`: counting from pu + 1 makes "pu is the last u" the in-order case.
      return typeof event.pu === 'number' ? [event.pu + 1, event.u] : [event.U, event.u];
    },
    resync,
    ...options,
    [BOOK_FEED]: feed,
  };
}

/** A refused snapshot: Binance answers `{"code":-1121,"msg":"Invalid symbol."}`; reported, then thrown to fail the resync. */
async function refused<M>(flavour: Flavour, response: { status: number; json(): Promise<unknown> }, symbol: string, feed: BookFeed<M>): Promise<Error> {
  const body: unknown = await response.json().catch(() => undefined);
  if (!isObject(body) || typeof body.msg !== 'string') return new Error(`Expected HTTP 200 from ${flavour.depthPath} for ${symbol}, got ${response.status}.`);
  const error = new VenueError(flavour.name, body.msg, body, body.code === undefined ? undefined : String(body.code));
  feed.onError?.(error);
  return error;
}

/** A diff depth event as sent (prices and quantities are decimal strings like "0.0024"); futures chain by `pu`, which they must then carry (null is refused). */
function depthUpdate(event: Record<string, unknown>, chained: boolean): WireUpdate {
  return { symbol: event.s, kind: 'delta', bids: event.b, asks: event.a, first: event.U, last: event.u, previous: chained ? (event.pu ?? null) : undefined };
}

/** Binance spot: `wss://stream.binance.com:9443/ws`, symbols like `BTCUSDT`; books by REST snapshot + `U`/`u`. */
export const binance: Venue<BinanceMessage, BinanceRequest> = make<BinanceMessage>(SPOT);
/** Binance USDⓈ-M futures: `wss://fstream.binance.com/ws`, symbols like `BTCUSDT`; books by REST snapshot + `pu` chain. */
export const binanceFutures: Venue<BinanceFuturesMessage, BinanceRequest> = make<BinanceFuturesMessage>(FUTURES);
