import type { AckableCommand, ClientCommand, Dialect, HandshakeRoute, RequestId } from '../dialect.js';
import { parseObject } from '../dialect.js';
import type { BookSnapshot, PriceLevel } from '../order-book.js';
import type { Random } from '../random.js';
import { Markets, splitTopic } from './market.js';

const TOPIC = /^(level2|market_trades):([A-Z0-9]{1,15}-[A-Z0-9]{1,15})$/;
const FORM = '"level2:BTC-USD", "market_trades:BTC-USD" or "heartbeats"';
const HEARTBEATS = 'heartbeats';

/**
 * Coinbase Advanced Trade: one channel per `{"type":"subscribe","product_ids":[...],"channel":"level2"}`,
 * `l2_data` snapshot on subscribe then updates, `market_trades`, `heartbeats`. Every message carries
 * `sequence_num`; here one counter per server (the venue keeps one per connection, which is the
 * same thing for one client connection). Topics on this server are `channel:product` and `heartbeats`.
 */
export class CoinbaseDialect implements Dialect {
  readonly name = 'coinbase' as const;
  readonly #markets: Markets;
  #sequence = 0;
  #heartbeats = 0;

  constructor(random: Random) {
    this.#markets = new Markets(random, { price: (c) => (c / 100).toFixed(2), quantity: (m) => (m / 1000).toFixed(8) });
  }

  sourceOf(topic: string): string {
    if (topic !== HEARTBEATS) splitTopic(topic, TOPIC, FORM);
    return topic;
  }

  route(): HandshakeRoute {
    return { topics: [], combined: false };
  }

  parse(text: string): ClientCommand {
    const message = parseObject(text);
    if (typeof message === 'string') return { kind: 'invalid', id: undefined, reason: 'json', message: 'Malformed JSON' };
    const { type, channel, product_ids: ids } = message;
    if ((type !== 'subscribe' && type !== 'unsubscribe') || typeof channel !== 'string') {
      return { kind: 'invalid', id: undefined, reason: 'request', message: 'Failed to subscribe: a type and a channel are required' };
    }
    const topics = channel === HEARTBEATS ? [HEARTBEATS] : (Array.isArray(ids) ? ids : []).map((id) => `${channel}:${String(id)}`);
    return { kind: type, topics, id: undefined };
  }

  ack(command: AckableCommand): object {
    const subscriptions: Record<string, string[]> = {};
    for (const topic of command.kind === 'ping' ? [] : command.topics) {
      const [channel = topic, product] = topic.split(':');
      subscriptions[channel] = product === undefined ? [] : [...(subscriptions[channel] ?? []), product];
    }
    return this.#envelope('subscriptions', [{ subscriptions }]);
  }

  listed(_id: RequestId, topics: string[]): object {
    return this.#envelope('subscriptions', [{ subscriptions: { all: topics } }]);
  }

  error(_id: RequestId, _reason: 'json' | 'request', message: string): object {
    return { type: 'error', message: message.startsWith('Expected one of the configured') ? 'Failed to subscribe: unknown product' : message };
  }

  next(source: string, now: number): object {
    if (source === HEARTBEATS) {
      return this.#envelope(HEARTBEATS, [{ current_time: new Date(now).toISOString(), heartbeat_counter: ++this.#heartbeats }], now);
    }
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    const time = new Date(now).toISOString();
    if (channel === 'market_trades') {
      const t = market.trade();
      const trade = { trade_id: String(t.id), product_id: symbol, price: t.price, size: t.quantity, side: t.buy ? 'BUY' : 'SELL', time };
      return this.#envelope('market_trades', [{ type: 'update', trades: [trade] }], now);
    }
    const change = market.change();
    return this.#envelope('l2_data', [{ type: 'update', product_id: symbol, updates: updates(change.bids, change.asks, time) }], now);
  }

  /** Coinbase's snapshot is in-band and current by construction: a stale one would be undetectable, so `stale` is ignored. */
  snapshotMessage(stream: string, now: number): object | undefined {
    if (!stream.startsWith('level2:')) return undefined;
    const { symbol } = splitTopic(stream, TOPIC, FORM);
    const book = this.#markets.get(symbol).snapshot();
    const time = new Date(now).toISOString();
    return this.#envelope('l2_data', [{ type: 'snapshot', product_id: symbol, updates: updates(book.bids, book.asks, time) }], now);
  }

  position(source: string): number {
    if (source === HEARTBEATS) return this.#heartbeats;
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    return channel === 'market_trades' ? market.lastTradeId : market.sequence;
  }

  wrap(_stream: string, payload: object): object {
    return payload;
  }

  heartbeat(now: number): object {
    return this.#envelope(HEARTBEATS, [{ current_time: new Date(now).toISOString(), heartbeat_counter: ++this.#heartbeats }], now);
  }

  /** Coinbase sends no shutdown notice; a status-channel frame stands in. */
  shutdownNotice(now: number): object {
    return this.#envelope('status', [{ type: 'update', products: [] }], now);
  }

  book(symbol: string, limit?: number): BookSnapshot {
    return this.#markets.get(symbol).snapshot(limit);
  }

  #envelope(channel: string, events: object[], now = Date.now()): object {
    return { channel, client_id: '', timestamp: new Date(now).toISOString(), sequence_num: this.#sequence++, events };
  }
}

function updates(bids: PriceLevel[], asks: PriceLevel[], time: string): object[] {
  const side = (name: 'bid' | 'offer') => ([price, quantity]: PriceLevel) => ({ side: name, event_time: time, price_level: price, new_quantity: quantity });
  return [...bids.map(side('bid')), ...asks.map(side('offer'))];
}
