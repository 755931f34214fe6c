import { krakenChecksum } from '../../venues/kraken.js';
import type { AckableCommand, ClientCommand, Dialect, HandshakeRoute, RequestId } from '../dialect.js';
import { parseObject } from '../dialect.js';
import type { BookSnapshot, PriceLevel } from '../order-book.js';
import type { Random } from '../random.js';
import { isStringList, Markets, splitTopic } from './market.js';

const TOPIC = /^(book|trade):([A-Z0-9]{1,12}\/[A-Z0-9]{1,12})$/;
const FORM = '"book:BTC/USD" or "trade:BTC/USD"';
/** The subscribed depth and the checksum's depth. */
const DEPTH = 10;

/** Kraken writes prices and quantities as JSON numbers; these strings are their exact JSON text. */
const asNumber = (text: string): number => Number(text);
const levels = (side: PriceLevel[]): Array<{ price: number; qty: number }> => side.map(([p, q]) => ({ price: asNumber(p), qty: asNumber(q) }));

/**
 * Kraken spot v2: `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10}}`,
 * `{"method":"ping"}` answered `{"method":"pong"}`, `{"channel":"heartbeat"}`, `book` snapshot then
 * updates of the top 10 with a CRC32 `checksum`; levels pushed below the top 10 are not deleted on
 * the wire (the client truncates). Topics on this server are `channel:symbol`.
 */
export class KrakenDialect implements Dialect {
  readonly name = 'kraken' as const;
  readonly #markets: Markets;
  #corrupt = 0;
  #time = (now: number): string => new Date(now).toISOString();

  constructor(random: Random) {
    // Number-formatted text: what JSON.stringify writes for a number is exactly this string.
    this.#markets = new Markets(random, { price: (c) => String(c / 100), quantity: (m) => String(m / 1000) });
  }

  sourceOf(topic: string): string {
    splitTopic(topic, TOPIC, FORM);
    return topic;
  }

  route(): HandshakeRoute {
    return { topics: [], combined: false };
  }

  parse(text: string): ClientCommand {
    const message = parseObject(text);
    if (typeof message === 'string') return { kind: 'invalid', id: undefined, reason: 'json', message };
    const id = typeof message.req_id === 'number' ? message.req_id : undefined;
    if (message.method === 'ping') return { kind: 'ping', id };
    const params = (typeof message.params === 'object' && message.params !== null ? message.params : {}) as Record<string, unknown>;
    if ((message.method !== 'subscribe' && message.method !== 'unsubscribe') || !isStringList(params.symbol)) {
      return { kind: 'invalid', id, reason: 'request', message: 'Malformed request' };
    }
    return { kind: message.method, topics: params.symbol.map((symbol) => `${String(params.channel)}:${symbol}`), id };
  }

  ack(command: AckableCommand): object {
    const now = Date.now();
    const times = { time_in: this.#time(now), time_out: this.#time(now) };
    if (command.kind === 'ping') return { method: 'pong', req_id: command.id, ...times };
    const [channel = '', symbol = ''] = (command.topics[0] ?? ':').split(':');
    const result = channel === 'book' ? { channel, depth: DEPTH, snapshot: true, symbol } : { channel, snapshot: true, symbol };
    return { method: command.kind, result, success: true, ...times, req_id: command.id };
  }

  listed(id: RequestId, topics: string[]): object {
    return { method: 'subscriptions', result: topics, success: true, req_id: id };
  }

  error(id: RequestId, _reason: 'json' | 'request', message: string): object {
    const now = this.#time(Date.now());
    const text = message.startsWith('Expected one of the configured') ? 'Currency pair not supported' : message;
    return { error: text, method: 'subscribe', success: false, time_in: now, time_out: now, req_id: id };
  }

  /** Makes the next `count` book messages carry a wrong checksum. */
  corruptChecksum(count: number): void {
    this.#corrupt += count;
  }

  next(source: string, now: number): object {
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    if (channel === 'trade') {
      const t = market.trade();
      const trade = { symbol, side: t.buy ? 'buy' : 'sell', price: asNumber(t.price), qty: asNumber(t.quantity), ord_type: 'limit', trade_id: t.id, timestamp: this.#time(now) };
      return { channel: 'trade', type: 'update', data: [trade] };
    }
    const before = market.snapshot(DEPTH);
    market.change();
    const after = market.snapshot(DEPTH);
    const data = {
      symbol,
      bids: levels(topChanges(before.bids, after.bids, market.snapshot().bids)),
      asks: levels(topChanges(before.asks, after.asks, market.snapshot().asks)),
      checksum: this.#checksum(after),
      timestamp: this.#time(now),
    };
    return { channel: 'book', type: 'update', data: [data] };
  }

  snapshotMessage(stream: string, now: number, stale: boolean): object | undefined {
    if (!stream.startsWith('book:')) return undefined;
    const { symbol } = splitTopic(stream, TOPIC, FORM);
    const book = stale ? this.#markets.get(symbol).stale(DEPTH) : this.#markets.get(symbol).snapshot(DEPTH);
    return { channel: 'book', type: 'snapshot', data: [{ symbol, bids: levels(book.bids), asks: levels(book.asks), checksum: this.#checksum(book), timestamp: this.#time(now) }] };
  }

  position(source: string): number {
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    return channel === 'trade' ? market.lastTradeId : market.sequence;
  }

  wrap(_stream: string, payload: object): object {
    return payload;
  }

  heartbeat(): object {
    return { channel: 'heartbeat' };
  }

  /** Kraken announces maintenance on the `status` channel. */
  shutdownNotice(now: number): object {
    return { channel: 'status', type: 'update', data: [{ system: 'maintenance', api_version: 'v2', connection_id: 0, version: '2.0.0', timestamp: this.#time(now) }] };
  }

  /** The top 10 a side: what a depth-10 subscriber holds. */
  book(symbol: string, limit = DEPTH, stale = false): BookSnapshot {
    const market = this.#markets.get(symbol);
    const depth = Math.min(limit, DEPTH);
    return stale ? market.stale(depth) : market.snapshot(depth);
  }

  #checksum(book: BookSnapshot): number {
    const sum = krakenChecksum(book.bids, book.asks);
    if (this.#corrupt === 0) return sum;
    this.#corrupt--;
    return (sum ^ 0x5a5a5a5a) >>> 0;
  }
}

/**
 * What a depth-10 subscriber must be told: levels of the new top 10 it does not hold with that
 * quantity, and levels of the old top 10 that were deleted (quantity 0). Levels merely pushed
 * below the top 10 are not sent; the client truncates.
 */
function topChanges(before: PriceLevel[], after: PriceLevel[], full: PriceLevel[]): PriceLevel[] {
  const held = new Map(before);
  const live = new Set(full.map(([price]) => price));
  const changes: PriceLevel[] = after.filter(([price, qty]) => held.get(price) !== qty);
  for (const [price] of before) if (!live.has(price)) changes.push([price, '0']);
  return changes;
}
