import { SymbolMarket } from './binance-market.js';
import {
  isTopicList,
  type AckableCommand,
  parseObject,
  requestIdOf,
  type ClientCommand,
  type Dialect,
  type HandshakeRoute,
  type RequestId,
  type RouteRefusal,
} from './dialect.js';
import type { BookSnapshot } from './order-book.js';
import type { Random } from './random.js';

/** `<symbol>@trade`, `<symbol>@depth`, `<symbol>@depth@100ms`, `<symbol>@depth@1000ms`. */
const STREAM = /^([a-z0-9]+)@(trade|depth)(?:@(?:100|1000)ms)?$/;
/** Binance error codes: 2 is an invalid request, 3 is invalid JSON. */
const ERROR_CODE = { request: 2, json: 3 } as const;

/**
 * The Binance spot dialect: `/ws/<stream>`, `/ws` + `SUBSCRIBE`, or combined
 * `/stream?streams=a/b`; trade and diff depth events; a real book per symbol behind
 * `GET /api/v3/depth`.
 */
export class BinanceDialect implements Dialect {
  readonly name = 'binance' as const;
  readonly #random: Random;
  readonly #markets = new Map<string, SymbolMarket>();

  constructor(random: Random) {
    this.#random = random;
  }

  sourceOf(topic: string): string {
    const match = STREAM.exec(typeof topic === 'string' ? topic : '');
    if (!match) {
      throw new TypeError(
        `Expected a stream like "btcusdt@trade", "btcusdt@depth" or "btcusdt@depth@100ms" (lower case), got ${JSON.stringify(topic)}.`,
      );
    }
    return `${match[1]}@${match[2]}`;
  }

  route(url: URL): HandshakeRoute | RouteRefusal {
    if (url.pathname === '/stream') {
      const streams = url.searchParams.get('streams') ?? '';
      return { topics: streams.split('/').filter(Boolean), combined: true };
    }
    if (url.pathname === '/ws' || url.pathname.startsWith('/ws/')) {
      const streams = url.pathname.slice('/ws'.length).split('/').filter(Boolean);
      return { topics: streams.map((stream) => decodeURIComponent(stream)), combined: false };
    }
    return { status: 404, message: `Expected a path of /ws, /ws/<stream> or /stream?streams=a/b, got ${url.pathname}.` };
  }

  parse(text: string): ClientCommand {
    const message = parseObject(text);
    if (typeof message === 'string') return { kind: 'invalid', id: null, reason: 'json', message };
    const id = requestIdOf(message) ?? null;
    const { method, params } = message;
    if (method === 'LIST_SUBSCRIPTIONS') return { kind: 'list', id };
    if (method !== 'SUBSCRIBE' && method !== 'UNSUBSCRIBE') {
      const detail = `Expected "method" to be SUBSCRIBE, UNSUBSCRIBE or LIST_SUBSCRIPTIONS, got ${JSON.stringify(method)}.`;
      return { kind: 'invalid', id, reason: 'request', message: detail };
    }
    if (!isTopicList(params)) {
      const detail = `Expected "params" to be an array of stream names, got ${JSON.stringify(params)}.`;
      return { kind: 'invalid', id, reason: 'request', message: detail };
    }
    return { kind: method === 'SUBSCRIBE' ? 'subscribe' : 'unsubscribe', topics: params, id };
  }

  ack(command: AckableCommand): object {
    return { result: null, id: command.id ?? null };
  }

  listed(id: RequestId, topics: string[]): object {
    return { result: topics, id: id ?? null };
  }

  error(id: RequestId, reason: 'json' | 'request', message: string): object {
    return { error: { code: ERROR_CODE[reason], msg: message }, id: id ?? null };
  }

  next(source: string, now: number, override?: unknown): object {
    const [symbol = '', kind] = source.split('@');
    const market = this.#market(symbol);
    const fields = isRecord(override) ? override : {};
    return kind === 'trade' ? market.nextTrade(now, fields) : market.nextDepth(now, fields);
  }

  position(source: string): number {
    const [symbol = '', kind] = source.split('@');
    const market = this.#market(symbol);
    return kind === 'trade' ? market.lastTradeId : market.book().lastUpdateId;
  }

  wrap(stream: string, payload: object, combined: boolean): object {
    return combined ? { stream, data: payload } : payload;
  }

  /** Not part of real Binance (it has no app-level heartbeat); here so heartbeatsOnly() works. */
  heartbeat(now: number): object {
    return { e: 'heartbeat', E: now };
  }

  shutdownNotice(now: number): object {
    return { e: 'serverShutdown', E: now };
  }

  book(symbol: string, limit?: number, stale = false): BookSnapshot {
    const market = this.#market(symbol.toLowerCase());
    return stale ? market.staleBook(limit) : market.book(limit);
  }

  #market(symbol: string): SymbolMarket {
    let market = this.#markets.get(symbol);
    if (!market) {
      market = new SymbolMarket(symbol.toUpperCase(), this.#random);
      this.#markets.set(symbol, market);
    }
    return market;
  }
}

function isRecord(value: unknown): value is Record<string, never> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
