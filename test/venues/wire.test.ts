// The frames each preset sends, compared with the venue documentation's own examples (quoted as
// facts; page names in docs/venues/). Request ids are the client's choice, so they are normalised.
import { afterEach, describe, expect, it } from 'vitest';
import { BOOK_FEED, binance, binanceFutures, bybit, coinbase, crc32, kraken, krakenChecksum, okx, watchOrderBook, isVenueError, type VenueError } from '../../src/venues/index.js';
import { compareDecimal } from '../../src/venues/decimal.js';
import { createFeedServer } from '../../src/testing/index.js';
import { waitFor } from './wait.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const ctx = (topics: string[]) => ({ topics, attempt: 0, isReconnect: false });
const withoutId = (frame: unknown): unknown => {
  const { id: _id, req_id: _reqId, ...rest } = frame as Record<string, unknown>;
  return rest;
};

describe('subscribe frames equal the documentation examples', () => {
  it('Binance spot: "Live Subscribing/Unsubscribing to streams" (WebSocket Streams page)', async () => {
    const options = binance.book('BTCUSDT');
    expect(await options.subscribe!(ctx(['btcusdt@trade', 'btcusdt@depth@100ms'])))
      .toEqual({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'btcusdt@depth@100ms'], id: 1 });
    expect(options.unsubscribe!({ topics: ['btcusdt@depth@100ms'] })).toEqual({ method: 'UNSUBSCRIBE', params: ['btcusdt@depth@100ms'], id: 2 });
    expect(options.url).toBe('wss://stream.binance.com:9443/ws');
    expect(binance.trades('BTCUSDT').topics).toEqual(['btcusdt@trade']);
    expect(binanceFutures.trades('BTCUSDT').topics).toEqual(['btcusdt@aggTrade']);
    expect(binanceFutures.book('BTCUSDT').url).toBe('wss://fstream.binance.com/ws');
  });

  it('Bybit v5: subscribe {"req_id":"test","op":"subscribe","args":["orderbook.50.BTCUSDT"]} and ping {"req_id":"100001","op":"ping"} (v5 "Connect" and "Orderbook" pages)', async () => {
    const options = bybit.book('BTCUSDT');
    expect(withoutId(await options.subscribe!(ctx(['orderbook.50.BTCUSDT'])))).toEqual({ op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
    const heartbeat = options.heartbeat as { ping: () => unknown; isPong: (m: unknown) => boolean; intervalMs: number };
    expect(withoutId(heartbeat.ping())).toEqual({ op: 'ping' });
    expect(heartbeat.intervalMs).toBe(20_000);
    expect(heartbeat.isPong({ success: true, ret_msg: 'pong', conn_id: 'xxxxx-xx', req_id: '', op: 'ping' })).toBe(true);
    // Spot takes at most 10 args per request: the stream splits larger subscriptions.
    expect(options.maxTopicsPerMessage).toBe(10);
    expect(options.url).toBe('wss://stream.bybit.com/v5/public/spot');
  });

  it('OKX v5: {"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}, text ping/pong, notice 64008', async () => {
    const options = okx.book('BTC-USDT');
    expect(await options.subscribe!(ctx(['books:BTC-USDT']))).toEqual({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
    const heartbeat = options.heartbeat as { ping: () => unknown; isPong: (m: unknown) => boolean };
    expect(heartbeat.ping()).toBe('ping');
    expect(options.decode!('pong')).toBe('pong');
    expect(heartbeat.isPong(options.decode!('pong'))).toBe(true);
    const rotate = options.rotate as { isNotice: (m: unknown) => boolean };
    expect(rotate.isNotice({ event: 'notice', code: '64008', msg: 'The connection will soon be closed for a service upgrade. Please reconnect.', connId: 'a4d3ae55' })).toBe(true);
    expect(rotate.isNotice({ event: 'subscribe', arg: { channel: 'books', instId: 'BTC-USDT' }, connId: 'a4d3ae55' })).toBe(false);
  });

  it('Kraken v2: {"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10}} and {"method":"ping","req_id":101}', async () => {
    const options = kraken.book('BTC/USD');
    expect((await options.subscribe!(ctx(['book:BTC/USD']))) as unknown[]).toEqual([{ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10 }, req_id: 1 }]);
    const heartbeat = options.heartbeat as { ping: () => unknown; isPong: (m: unknown) => boolean };
    expect(withoutId(heartbeat.ping())).toEqual({ method: 'ping' });
    expect(heartbeat.isPong({ method: 'pong', req_id: 101, time_in: '2023-09-24T14:10:23.799685Z', time_out: '2023-09-24T14:10:23.799703Z' })).toBe(true);
    expect(options.isData!({ channel: 'heartbeat' } as never)).toBe(false);
  });

  it('Coinbase Advanced Trade: one channel per subscribe, {"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"} plus heartbeats', async () => {
    const options = coinbase.book('BTC-USD');
    expect(options.topics).toEqual(['level2:BTC-USD', 'heartbeats']);
    expect(await options.subscribe!(ctx([...options.topics!]))).toEqual([
      { type: 'subscribe', product_ids: ['BTC-USD'], channel: 'level2' },
      { type: 'subscribe', channel: 'heartbeats' },
    ]);
    expect(options.url).toBe('wss://advanced-trade-ws.coinbase.com');
  });

  it('symbols are checked in the venue notation', () => {
    expect(() => binance.book('btc-usdt')).toThrow('Expected a symbol like "BTCUSDT", got "btc-usdt".');
    expect(() => kraken.book('BTCUSD')).toThrow('Expected a symbol like "BTC/USD", got "BTCUSD".');
    expect(() => okx.book('BTCUSDT')).toThrow('Expected a symbol like "BTC-USDT"');
  });
});

describe('integrity primitives', () => {
  it('CRC32 is the standard one (check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('')).toBe(0);
  });

  it('Kraken checksum strips the point and leading zeros: "45285.2" + "0.00100000" → "452852100000" (Book checksum v2 guide)', () => {
    expect(krakenChecksum([], [['45285.2', '0.00100000']])).toBe(crc32('452852100000'));
    // Asks first (low to high), then bids (high to low).
    expect(krakenChecksum([['0.5', '1']], [['0.6', '2']])).toBe(crc32('62' + '51'));
  });

  it('Kraken numbers reach the book as the exact digits sent, never through a float', () => {
    const decoded = kraken.book('MATIC/USD').decode!('{"channel":"book","type":"snapshot","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,"qty":4831.75496356}],"asks":[{"price":0.5668,"qty":4410.79769741}],"checksum":2439117997}]}');
    const [update] = kraken.book('MATIC/USD')[BOOK_FEED].read(decoded);
    expect(update).toMatchObject({ bids: [['0.5666', '4831.75496356']], asks: [['0.5668', '4410.79769741']], checksum: 2439117997 });
  });

  it('prices sort by exact decimal comparison', () => {
    const prices = ['100.10', '100.09999999999999999', '99.9', '1e2', '100.1'];
    expect([...prices].sort(compareDecimal)).toEqual(['99.9', '1e2', '100.09999999999999999', '100.10', '100.1']);
  });
});

describe('venue errors surface as typed VenueError with the venue text', () => {
  it.each([
    ['okx', (url: string) => okx.book(['BTC-USDT', 'NOPE-USDT'], { url: `${url}/ws/v5/public` }), ['books:BTC-USDT'], /doesn't exist/],
    ['kraken', (url: string) => kraken.book(['BTC/USD', 'NO/PE'], { url: `${url}/v2` }), ['book:BTC/USD'], /Currency pair not supported/],
    ['bybit', (url: string) => bybit.book(['BTCUSDT', 'NOPEUSDT'], { url: `${url}/v5/public/spot` }), ['orderbook.50.BTCUSDT'], /Invalid symbol/],
    ['binance', (url: string) => binance.book(['BTCUSDT', 'NOPEUSDT'], { url: `${url}/ws`, restUrl: url.replace('ws://', 'http://') }), ['btcusdt@depth@100ms'], /Invalid symbol/],
  ] as const)('%s: an unknown symbol', async (dialect, spec, topics, text) => {
    const feed = await createFeedServer({ dialect, messagesPerSecond: 0, topics });
    cleanups.push(() => feed.close());
    const handle = watchOrderBook<unknown, unknown>(spec(feed.url) as never);
    cleanups.push(() => handle.close());
    const errors: VenueError[] = [];
    handle.on('error', (error) => errors.push(error));
    handle.stream.on('error', () => undefined);
    await waitFor(() => errors.length > 0, 3_000);
    expect(isVenueError(errors[0])).toBe(true);
    expect(errors[0]!.venue).toBe(dialect);
    expect(errors[0]!.text).toMatch(text);
  });
});
