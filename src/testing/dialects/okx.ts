import type { AckableCommand, ClientCommand, Dialect, HandshakeRoute, RequestId } from '../dialect.js';
import { parseObject } from '../dialect.js';
import type { BookSnapshot, PriceLevel } from '../order-book.js';
import { randomInt, type Random } from '../random.js';
import { Markets, splitTopic } from './market.js';

const TOPIC = /^(books|trades):([A-Z0-9]{1,15}-[A-Z0-9]{1,15}(?:-[A-Z0-9]+)*)$/;
const FORM = '"books:BTC-USDT" or "trades:BTC-USDT"';

const okxLevels = (levels: PriceLevel[]): string[][] => levels.map(([p, q]) => [p, q, '0', '1']);

/**
 * OKX v5 public: `{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}`, the text
 * `ping` answered by the text `pong`, `books` snapshot on subscribe then updates chained by
 * `prevSeqId`/`seqId` (ids jump by more than 1), `notice` 64008 before an upgrade. Topics on this
 * server are `channel:instId`.
 */
export class OkxDialect implements Dialect {
  readonly name = 'okx' as const;
  readonly #markets: Markets;

  constructor(random: Random) {
    this.#markets = new Markets(random, {
      price: (c) => (c / 100).toFixed(1 + (c % 2)), quantity: (m) => String(m / 1000), step: (r) => randomInt(r, 1, 40),
    });
  }

  sourceOf(topic: string): string {
    splitTopic(topic, TOPIC, FORM);
    return topic;
  }

  route(): HandshakeRoute {
    return { topics: [], combined: false };
  }

  rawReply(text: string): string | undefined {
    return text === 'ping' ? 'pong' : undefined;
  }

  parse(text: string): ClientCommand {
    if (text === 'ping') return { kind: 'ping', id: undefined };
    const message = parseObject(text);
    if (typeof message === 'string') return { kind: 'invalid', id: undefined, reason: 'json', message: `Invalid request: ${text.slice(0, 60)}` };
    const { op, args } = message;
    if ((op !== 'subscribe' && op !== 'unsubscribe') || !Array.isArray(args) || args.length === 0) {
      return { kind: 'invalid', id: undefined, reason: 'request', message: `Invalid request: ${text.slice(0, 60)}` };
    }
    const topics = args.map((arg: unknown) => {
      const { channel, instId } = (typeof arg === 'object' && arg !== null ? arg : {}) as { channel?: unknown; instId?: unknown };
      return `${String(channel)}:${String(instId)}`;
    });
    return { kind: op, topics, id: undefined };
  }

  ack(command: AckableCommand): object {
    // The text `pong` goes out through rawReply(); the gateway adds this JSON frame, which clients ignore.
    if (command.kind === 'ping') return { event: 'pong' };
    const [channel = '', instId = ''] = (command.topics[0] ?? ':').split(':');
    return { event: command.kind, arg: { channel, instId }, connId: 'sim' };
  }

  listed(_id: RequestId, topics: string[]): object {
    return { event: 'subscriptions', args: topics, connId: 'sim' };
  }

  error(_id: RequestId, reason: 'json' | 'request', message: string): object {
    const unknown = message.startsWith('Expected one of the configured');
    const msg = unknown ? `Wrong URL or channel:${message.split('got ')[1] ?? ''} doesn't exist.` : message;
    return { event: 'error', code: unknown ? '60018' : reason === 'json' ? '60012' : '60012', msg, connId: 'sim' };
  }

  next(source: string, now: number): object {
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    const arg = { channel, instId: symbol };
    if (channel === 'trades') {
      const t = market.trade();
      return { arg, data: [{ instId: symbol, tradeId: String(t.id), px: t.price, sz: t.quantity, side: t.buy ? 'buy' : 'sell', ts: String(now), count: '1' }] };
    }
    const change = market.change();
    const data = { asks: okxLevels(change.asks), bids: okxLevels(change.bids), ts: String(now), checksum: 0, prevSeqId: change.previous, seqId: change.id };
    return { arg, action: 'update', data: [data] };
  }

  snapshotMessage(stream: string, now: number, stale: boolean): object | undefined {
    if (!stream.startsWith('books:')) return undefined;
    const { symbol } = splitTopic(stream, TOPIC, FORM);
    const book = stale ? this.#markets.get(symbol).stale(400) : this.#markets.get(symbol).snapshot(400);
    const data = { asks: okxLevels(book.asks), bids: okxLevels(book.bids), ts: String(now), checksum: 0, prevSeqId: -1, seqId: book.lastUpdateId };
    return { arg: { channel: 'books', instId: symbol }, action: 'snapshot', data: [data] };
  }

  position(source: string): number {
    const { channel, symbol } = splitTopic(source, TOPIC, FORM);
    const market = this.#markets.get(symbol);
    return channel === 'trades' ? market.lastTradeId : market.sequence;
  }

  wrap(_stream: string, payload: object): object {
    return payload;
  }

  /** OKX has no server heartbeat; here so heartbeatsOnly() has something to send. */
  heartbeat(): object {
    return { event: 'heartbeat' };
  }

  shutdownNotice(): object {
    return { event: 'notice', code: '64008', msg: 'The connection will soon be closed for a service upgrade. Please reconnect.', connId: 'sim' };
  }

  book(symbol: string, limit = 400, stale = false): BookSnapshot {
    const market = this.#markets.get(symbol);
    return stale ? market.stale(limit) : market.snapshot(limit);
  }
}
