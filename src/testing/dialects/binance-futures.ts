import { BinanceDialect } from '../binance-dialect.js';
import type { AckableCommand, ClientCommand, Dialect, HandshakeRoute, RequestId, RouteRefusal } from '../dialect.js';
import type { BookSnapshot } from '../order-book.js';
import type { Random } from '../random.js';

const STREAM = /^([a-z0-9]+)@(aggTrade|depth)(?:@(?:100|250|500)ms)?$/;
/**
 * Futures update ids are not consecutive: internal event k becomes `[3k - 1, 3k]`, so one id is
 * skipped between events and `pu` (the previous event's `u`) is the only correct continuity check;
 * a client requiring `U = previous u + 1` fails. A snapshot at internal k says `3k + 2`, inside the
 * next event's range, as the documented rule `U <= lastUpdateId <= u` expects.
 */
const SCALE = 3;

/**
 * Binance USDⓈ-M futures: the spot dialect's books and trades, with `aggTrade` events, depth
 * events carrying `pu` and `T`, non-consecutive update ids, and the REST snapshot at `/fapi/v1/depth`.
 */
export class BinanceFuturesDialect implements Dialect {
  readonly name = 'binance-futures' as const;
  readonly snapshotPath = '/fapi/v1/depth';
  readonly #spot: BinanceDialect;

  constructor(random: Random) {
    this.#spot = new BinanceDialect(random);
  }

  sourceOf(topic: string): string {
    const match = STREAM.exec(typeof topic === 'string' ? topic : '');
    if (!match) throw new TypeError(`Expected a stream like "btcusdt@aggTrade" or "btcusdt@depth@100ms" (lower case), got ${JSON.stringify(topic)}.`);
    return `${match[1]}@${match[2] === 'aggTrade' ? 'trade' : 'depth'}`;
  }

  route(url: URL): HandshakeRoute | RouteRefusal { return this.#spot.route(url); }
  parse(text: string): ClientCommand { return this.#spot.parse(text); }
  ack(command: AckableCommand): object { return this.#spot.ack(command); }
  listed(id: RequestId, topics: string[]): object { return this.#spot.listed(id, topics); }
  error(id: RequestId, reason: 'json' | 'request', message: string): object { return this.#spot.error(id, reason, message); }
  wrap(stream: string, payload: object, combined: boolean): object { return this.#spot.wrap(stream, payload, combined); }
  heartbeat(now: number): object { return this.#spot.heartbeat(now); }
  shutdownNotice(now: number): object { return this.#spot.shutdownNotice(now); }

  next(source: string, now: number, override?: unknown): object {
    const event = this.#spot.next(source, now, override) as Record<string, unknown>;
    if (event.e === 'trade') {
      const { E, s, t, p, q, T, m } = event;
      return { e: 'aggTrade', E, s, a: t, p, q, f: t, l: t, T, m };
    }
    const { E, s, U, u, b, a } = event as { E: number; s: string; U: number; u: number; b: unknown; a: unknown };
    return { e: 'depthUpdate', E, T: E, s, U: U * SCALE - 1, u: u * SCALE, pu: (U - 1) * SCALE, b, a };
  }

  position(source: string): number {
    const position = this.#spot.position(source);
    return source.endsWith('@depth') ? position * SCALE : position;
  }

  book(symbol: string, limit?: number, stale?: boolean): BookSnapshot {
    const book = this.#spot.book(symbol, limit, stale);
    return { ...book, lastUpdateId: book.lastUpdateId * SCALE + 2 };
  }
}
