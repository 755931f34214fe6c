import { ChainCounter } from './chain-counter.js';
import { checkBookOverrides, isObject, symbolList, withOverrides } from './preset.js';
import { BOOK_FEED, type BookFeed, type BookSpec, type Venue, type VenueOverrides } from './types.js';
import { VenueError } from './venue-error.js';
import type { ResilientStreamOptions } from '../options.js';

/** A channel and instrument, as in `{"channel":"books","instId":"BTC-USDT"}`. */
export interface OkxArg { channel: string; instId: string }
/** One `books` level: `[price, size, deprecated "0", order count]`. */
export type OkxLevel = [price: string, size: string, liquidated: string, orders: string];
/** A `books` push: `snapshot` replaces the book; each `update` names the `seqId` before it. */
export interface OkxBookMessage {
  arg: OkxArg; action: 'snapshot' | 'update';
  data: Array<{ asks: OkxLevel[]; bids: OkxLevel[]; ts: string; checksum?: number; prevSeqId: number; seqId: number }>;
}
/** A `trades` push. */
export interface OkxTradeMessage {
  arg: OkxArg;
  data: Array<{ instId: string; tradeId: string; px: string; sz: string; side: 'buy' | 'sell'; ts: string; count?: string }>;
}
/** `subscribe`/`unsubscribe` answers, `error` and `notice` (code 64008: reconnect, a service upgrade is coming). */
export interface OkxEvent { event: 'subscribe' | 'unsubscribe' | 'error' | 'notice'; arg?: OkxArg; code?: string; msg?: string; connId?: string }
/** Everything the OKX preset's stream may deliver; `'pong'` is the answer to the text ping. */
export type OkxMessage = OkxBookMessage | OkxTradeMessage | OkxEvent | 'pong';
/** What the OKX preset sends: requests, and the text `ping`. */
export type OkxRequest = { op: 'subscribe' | 'unsubscribe'; args: OkxArg[] } | 'ping';

const SYMBOL = /^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}(-[A-Z0-9]+)*$/;
const URL = 'wss://ws.okx.com:8443/ws/v5/public';

function argOf(topic: string): OkxArg {
  const at = topic.indexOf(':');
  return { channel: topic.slice(0, at), instId: topic.slice(at + 1) };
}

function isBook(message: unknown): message is OkxBookMessage {
  return isObject(message) && isObject(message.arg) && message.arg.channel === 'books' && typeof message.action === 'string';
}

function isEvent(message: unknown): message is OkxEvent {
  return isObject(message) && typeof message.event === 'string';
}

const errorOf = (m: OkxMessage): VenueError | undefined =>
  isEvent(m) && m.event === 'error' ? new VenueError('okx', m.msg ?? '', m, m.code) : undefined;

function base(topics: string[], overrides: VenueOverrides<OkxMessage, OkxRequest> | undefined): ResilientStreamOptions<OkxMessage, OkxRequest> {
  return withOverrides<OkxMessage, OkxRequest>({
    url: URL,
    topics,
    // The text `pong` is not JSON.
    decode: (data) => {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
      return text === 'pong' ? 'pong' : (JSON.parse(text) as OkxMessage);
    },
    subscribe: ({ topics: t }) => ({ op: 'subscribe', args: t.map(argOf) }),
    unsubscribe: ({ topics: t }) => ({ op: 'unsubscribe', args: t.map(argOf) }),
    isData: (m) => isObject(m) && isObject(m.arg) && Array.isArray(m.data),
    topicOf: (m) => (isObject(m) && isObject(m.arg) && !isEvent(m) ? `${String(m.arg.channel)}:${String(m.arg.instId)}` : undefined),
    // The server drops a connection with no data for 30 s: ping (text) after 20 s of silence.
    heartbeat: { intervalMs: 20_000, timeoutMs: 10_000, ping: () => 'ping', isPong: (m) => m === 'pong' },
    // Notice 64008 comes about 30 s before a service upgrade closes the connection.
    rotate: { isNotice: (m) => isEvent(m) && m.event === 'notice' && m.code === '64008' },
    // 3 subscribe/unsubscribe requests per second per connection (480 per hour).
    rateLimit: { messagesPerSecond: 3, burst: 3, countControlFrames: false },
  }, overrides);
}

const topicOf = (symbol: string): string => `books:${symbol}`;

/** OKX v5 public: `wss://ws.okx.com:8443/ws/v5/public`, instruments like `BTC-USDT`; `books` by `prevSeqId`/`seqId`. */
export const okx: Venue<OkxMessage, OkxRequest> = {
  name: 'okx',
  url: URL,
  errorOf,
  trades: (symbols, overrides) => base(symbolList(symbols, SYMBOL, '"BTC-USDT"').map((s) => `trades:${s}`), overrides),
  book: (symbols, overrides): BookSpec<OkxMessage, OkxRequest> => {
    const list = symbolList(symbols, SYMBOL, '"BTC-USDT"');
    checkBookOverrides(overrides, { none: 'the okx preset keeps the `books` channel, 400 levels' });
    const chain = new ChainCounter();
    const feed: BookFeed<OkxMessage> = {
      venue: 'okx', symbols: list, snapshots: 'websocket', depth: undefined, numbered: true, topicOf, errorOf, onSnapshot: undefined,
      read: (m) => {
        if (!isBook(m)) return [];
        const symbol: unknown = m.arg.instId;
        // Levels are [price, size, "0", orders] strings; the book checks them and reads the first two.
        return (Array.isArray(m.data) ? m.data : [undefined]).map((d: unknown) => {
          const { bids, asks, seqId, prevSeqId } = isObject(d) ? d : {};
          // The checksum field is being retired (always 0 from 23 June 2026): integrity is the id chain.
          return m.action === 'snapshot'
            ? { symbol, kind: 'snapshot' as const, bids, asks, last: seqId }
            : { symbol, kind: 'delta' as const, bids, asks, last: seqId, previous: prevSeqId };
        });
      },
    };
    return {
      ...base(list.map(topicOf), overrides),
      sequence: (m) => {
        const first: unknown = isBook(m) && Array.isArray(m.data) ? m.data[0] : undefined;
        if (!isBook(m) || !isObject(first) || typeof first.seqId !== 'number' || typeof first.prevSeqId !== 'number') return undefined;
        const key = `books:${m.arg.instId}`;
        const { seqId, prevSeqId } = first;
        return m.action === 'snapshot' ? chain.snapshot(key, seqId) : chain.link(key, prevSeqId, seqId);
      },
      ...(overrides?.sequence === undefined ? {} : { sequence: overrides.sequence }),
      [BOOK_FEED]: feed,
    };
  },
};
