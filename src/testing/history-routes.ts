import type { FeedDialect } from './dialect.js';
import type { TradeEvent } from './binance-market.js';

/** Binance's default and largest `limit` of `GET /api/v3/historicalTrades`. */
const DEFAULT_TRADES_LIMIT = 500;
const MAX_TRADES_LIMIT = 1000;
/** The JSON dialect's `GET /history` answers at most this many messages (and by default that many). */
const MAX_HISTORY_LIMIT = 1000;

/** What the history routes read from the server. */
export interface HistoryHost {
  readonly dialect: FeedDialect;
  /** Every generated message of a topic (gap-lost ones included), oldest first; undefined for an unknown topic. @throws TypeError for a malformed name */
  history(topic: string): readonly object[] | undefined;
}

/** An HTTP answer: status and JSON body. */
export interface HistoryAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The history routes a `backfill` hook reads, or undefined when `pathname` is not one:
 * - JSON dialect: `GET /history?topic=a&after=10&before=20&limit=1000`: the data messages with
 *   `after < seq < before`, oldest first, at most `limit` (default and maximum 1000);
 * - Binance dialect: `GET /api/v3/historicalTrades?symbol=BTCUSDT&fromId=N&limit=L`, as Binance
 *   serves it: trades with `id >= fromId` oldest first (without `fromId`, the newest), at most
 *   `limit` (default 500, maximum 1000), as REST rows `{id, price, qty, quoteQty, time, isBuyerMaker, isBestMatch}`.
 *
 * Both keep only about the newest `historyLimit` messages per topic, like a real exchange's
 * bounded history: older ones are simply absent from the answer.
 */
export function historyAnswer(host: HistoryHost, pathname: string, query: URLSearchParams): HistoryAnswer | undefined {
  if (pathname === '/history' && host.dialect === 'json') return jsonHistory(host, query);
  if (pathname === '/api/v3/historicalTrades' && host.dialect === 'binance') return historicalTrades(host, query);
  return undefined;
}

function jsonHistory(host: HistoryHost, query: URLSearchParams): HistoryAnswer {
  const topic = query.get('topic') ?? '';
  const after = integer(query.get('after'), Number.NEGATIVE_INFINITY);
  const before = integer(query.get('before'), Number.POSITIVE_INFINITY);
  const limit = Math.min(integer(query.get('limit'), MAX_HISTORY_LIMIT), MAX_HISTORY_LIMIT);
  if (topic === '' || Number.isNaN(after) || Number.isNaN(before) || !(limit > 0)) {
    return { status: 400, body: { ok: false, error: 'Expected topic (non-empty), after and before (integers) and limit (an integer > 0).' } };
  }
  const messages = known(host, topic);
  if (messages === undefined) return { status: 404, body: { ok: false, error: `No topic ${JSON.stringify(topic)}.` } };
  const found: object[] = [];
  for (const message of messages) {
    const seq = 'seq' in message ? message.seq : undefined;
    if (typeof seq === 'number' && seq > after && seq < before) found.push(message);
    if (found.length >= limit) break;
  }
  return { status: 200, body: found };
}

function historicalTrades(host: HistoryHost, query: URLSearchParams): HistoryAnswer {
  const symbol = query.get('symbol') ?? '';
  if (!/^[A-Za-z0-9]+$/.test(symbol)) {
    return { status: 400, body: { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." } };
  }
  const requested = integer(query.get('limit'), DEFAULT_TRADES_LIMIT);
  const limit = requested > 0 ? Math.min(requested, MAX_TRADES_LIMIT) : DEFAULT_TRADES_LIMIT;
  const fromId = integer(query.get('fromId'), Number.NaN);
  const trades = known(host, `${symbol.toLowerCase()}@trade`);
  if (trades === undefined) return { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } };
  const all = trades.filter(isTrade);
  const chosen = Number.isNaN(fromId) ? all.slice(-limit) : all.filter((trade) => trade.t >= fromId).slice(0, limit);
  return { status: 200, body: chosen.map(toRestTrade) };
}

/** A WebSocket trade event as `GET /api/v3/historicalTrades` writes the same trade. */
function toRestTrade(trade: TradeEvent): object {
  const quoteQty = (Number(trade.p) * Number(trade.q)).toFixed(8);
  return { id: trade.t, price: trade.p, qty: trade.q, quoteQty, time: trade.T, isBuyerMaker: trade.m, isBestMatch: trade.M };
}

function isTrade(message: object): message is TradeEvent {
  return 'e' in message && message.e === 'trade';
}

function known(host: HistoryHost, topic: string): readonly object[] | undefined {
  try {
    return host.history(topic);
  } catch {
    return undefined;
  }
}

/** A query parameter as an integer: `fallback` when absent, NaN when not an integer. */
function integer(value: string | null, fallback: number): number {
  if (value === null || value === '') return fallback;
  const number = Number(value);
  return Number.isInteger(number) ? number : Number.NaN;
}
