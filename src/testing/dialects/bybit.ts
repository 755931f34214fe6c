import type { AckableCommand, ClientCommand, Dialect, HandshakeRoute, RequestId } from '../dialect.js';
import { parseObject } from '../dialect.js';
import type { BookSnapshot } from '../order-book.js';
import type { Random } from '../random.js';
import { isStringList, Markets, splitTopic } from './market.js';

const TOPIC = /^(orderbook\.50|publicTrade)\.([A-Z0-9]{2,25})$/;
const FORM = '"orderbook.50.BTCUSDT" or "publicTrade.BTCUSDT"';
/** Bybit spot accepts at most 10 args per request. */
const MAX_ARGS = 10;

/**
 * Bybit v5 public (spot): `{"op":"subscribe","args":[...]}`, `{"op":"ping"}` answered
 * `ret_msg: "pong"`, `orderbook.50.<symbol>` snapshot on subscribe then deltas numbered by `u`,
 * `publicTrade.<symbol>` pushes. Any path is accepted (`/v5/public/spot`, `/v5/public/linear`).
 */
export class BybitDialect implements Dialect {
  readonly name = 'bybit' as const;
  readonly #markets: Markets;
  #seq = 1;

  constructor(random: Random) {
    this.#markets = new Markets(random, { price: (c) => (c / 100).toFixed(2), quantity: (m) => (m / 1000).toFixed(3) });
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
    const id = typeof message.req_id === 'string' ? message.req_id : undefined;
    if (message.op === 'ping') return { kind: 'ping', id };
    if (message.op !== 'subscribe' && message.op !== 'unsubscribe') {
      return { kind: 'invalid', id, reason: 'request', message: 'error:handler not found' };
    }
    if (!isStringList(message.args)) return { kind: 'invalid', id, reason: 'request', message: 'error:args must be a non-empty list' };
    if (message.args.length > MAX_ARGS) {
      return { kind: 'invalid', id, reason: 'request', message: `args size >${MAX_ARGS}` };
    }
    return { kind: message.op, topics: message.args, id };
  }

  ack(command: AckableCommand): object {
    const op = command.kind === 'ping' ? 'ping' : command.kind;
    return { success: true, ret_msg: command.kind === 'ping' ? 'pong' : '', conn_id: 'sim', req_id: command.id ?? '', op };
  }

  listed(id: RequestId, topics: string[]): object {
    return { success: true, ret_msg: '', conn_id: 'sim', req_id: id ?? '', op: 'subscriptions', args: topics };
  }

  error(id: RequestId, _reason: 'json' | 'request', message: string): object {
    const text = message.startsWith('Expected one of the configured') ? `Invalid symbol :[${message.split('got ')[1] ?? ''}]` : message;
    return { success: false, ret_msg: text, conn_id: 'sim', req_id: id ?? '', op: 'subscribe' };
  }

  next(source: string, now: number): object {
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    if (channel === 'publicTrade') {
      const t = market.trade();
      return { topic: source, type: 'snapshot', ts: now, data: [{ T: now, s: symbol, S: t.buy ? 'Buy' : 'Sell', v: t.quantity, p: t.price, i: String(t.id), BT: false }] };
    }
    const change = market.change();
    return { topic: source, type: 'delta', ts: now, data: { s: symbol, b: change.bids, a: change.asks, u: change.id, seq: this.#seq++ }, cts: now };
  }

  snapshotMessage(stream: string, now: number, stale: boolean): object | undefined {
    if (!stream.startsWith('orderbook.')) return undefined;
    const { symbol } = splitTopic(stream, TOPIC, FORM);
    const book = stale ? this.#markets.get(symbol).stale(50) : this.#markets.get(symbol).snapshot(50);
    return { topic: stream, type: 'snapshot', ts: now, data: { s: symbol, b: book.bids, a: book.asks, u: book.lastUpdateId, seq: this.#seq++ }, cts: now };
  }

  position(source: string): number {
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    return channel === 'publicTrade' ? market.lastTradeId : market.sequence;
  }

  wrap(_stream: string, payload: object): object {
    return payload;
  }

  /** Bybit has no server heartbeat; here so heartbeatsOnly() has something to send. */
  heartbeat(now: number): object {
    return { op: 'heartbeat', ts: now };
  }

  /** Bybit publishes no shutdown notice on public streams; a harmless status frame stands in. */
  shutdownNotice(now: number): object {
    return { success: true, ret_msg: 'maintenance', conn_id: 'sim', op: 'notice', ts: now };
  }

  book(symbol: string, limit = 50, stale = false): BookSnapshot {
    const market = this.#markets.get(symbol);
    return stale ? market.stale(limit) : market.snapshot(limit);
  }
}

