// Preset and watchOrderBook options are checked when the preset is called, like stream options:
// a typed RS_INVALID_OPTIONS naming the option and the value, never a broken URL or an empty book.
import { describe, expect, it } from 'vitest';
import { isResilientStreamError } from '../../src/index.js';
import { binance, binanceFutures, bybit, coinbase, kraken, okx, watchOrderBook, type FetchLike } from '../../src/venues/index.js';

/** The RS_INVALID_OPTIONS message `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isResilientStreamError(error, 'RS_INVALID_OPTIONS')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('Expected RS_INVALID_OPTIONS, got nothing thrown.');
}

describe('depth is checked against the depths each venue documents', () => {
  it('Binance spot: an integer from 1 to 5000 (GET /api/v3/depth `limit`)', async () => {
    expect(refusal(() => binance.book('BTCUSDT', { depth: NaN }))).toBe('Expected `depth` to be an integer from 1 to 5000 (the binance REST snapshot `limit`), got NaN.');
    expect(refusal(() => binance.book('BTCUSDT', { depth: 0 }))).toMatch(/got 0\.$/);
    expect(refusal(() => binance.book('BTCUSDT', { depth: 5001 }))).toMatch(/got 5001\.$/);
    expect(refusal(() => binance.book('BTCUSDT', { depth: 2.5 }))).toMatch(/got 2\.5\.$/);
    // An accepted depth is the snapshot's limit.
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => (urls.push(url), { ok: true, status: 200, json: async () => ({ lastUpdateId: 1, bids: [], asks: [] }) });
    const spec = binance.book('BTCUSDT', { depth: 5000, fetch, restUrl: 'http://127.0.0.1:1' });
    await spec.resync!({ topics: ['btcusdt@depth@100ms'], signal: new AbortController().signal } as never);
    expect(urls).toEqual(['http://127.0.0.1:1/api/v3/depth?symbol=BTCUSDT&limit=5000']);
  });

  it('Binance USDⓈ-M futures: one of 5, 10, 20, 50, 100, 500, 1000 ("Order Book" page)', () => {
    expect(refusal(() => binanceFutures.book('BTCUSDT', { depth: 300 })))
      .toBe('Expected `depth` to be one of 5, 10, 20, 50, 100, 500, 1000 (the binance-futures REST snapshot `limit`), got 300.');
    expect(() => binanceFutures.book('BTCUSDT', { depth: 500 })).not.toThrow();
  });

  it('Kraken: one of 10, 25, 100, 500, 1000 (v2 "Book" channel); the subscribe frame carries it', async () => {
    expect(refusal(() => kraken.book('BTC/USD', { depth: 0 })))
      .toBe('Expected `depth` to be one of 10, 25, 100, 500, 1000 (the kraken book subscription depth), got 0.');
    expect(refusal(() => kraken.book('BTC/USD', { depth: Infinity }))).toMatch(/got Infinity\.$/);
    const frames = await kraken.book('BTC/USD', { depth: 25 }).subscribe!({ topics: ['book:BTC/USD'], attempt: 0, isReconnect: false });
    expect(frames).toMatchObject([{ params: { depth: 25 } }]);
  });

  it.each([
    ['bybit', () => bybit.book('BTCUSDT', { depth: 200 })],
    ['okx', () => okx.book('BTC-USDT', { depth: 400 })],
    ['coinbase', () => coinbase.book('BTC-USD', { depth: 10 })],
  ] as const)('%s: the preset has one depth, so any `depth` is refused (it was ignored)', (name, call) => {
    expect(refusal(call)).toMatch(new RegExp(`^Expected \`depth\` to be left out \\(the ${name} preset .*\\), got \\d+\\.$`));
  });
});

describe('the other preset options', () => {
  it('restUrl must be an http(s) url and fetch a function', () => {
    expect(refusal(() => binance.book('BTCUSDT', { restUrl: 42 as never }))).toBe('Expected `restUrl` to be an http or https url, got 42.');
    expect(refusal(() => binance.book('BTCUSDT', { restUrl: 'ftp://x' }))).toMatch(/`restUrl`.*"ftp:\/\/x"/);
    expect(refusal(() => binance.book('BTCUSDT', { fetch: 'fetch' as never }))).toBe('Expected `fetch` to be a function, got "fetch".');
  });

  it('overrides must be an object', () => {
    expect(refusal(() => kraken.book('BTC/USD', null as never))).toBe('Expected the overrides to be an object, got null.');
  });
});

describe('watchOrderBook options', () => {
  it('refuses a bad `start`, an unknown key and a spec that is not from venue.book()', () => {
    const spec = bybit.book('BTCUSDT', { url: 'ws://127.0.0.1:1' });
    expect(refusal(() => watchOrderBook(spec, { start: 'no' as never }))).toBe('Expected `start` to be a boolean, got "no".');
    expect(refusal(() => watchOrderBook(spec, { strat: false } as never))).toBe('Unknown option `strat`; did you mean `start`?');
    expect(refusal(() => watchOrderBook({ url: 'ws://127.0.0.1:1' } as never))).toMatch(/^Expected a book spec from `venue.book\(\)`/);
  });
});
