// Book frames a venue never sends (or a broken relay might): each must be refused whole, with a
// typed error naming the venue and symbol, and the book rebuilt; never half applied, never slow.
import { afterEach, describe, expect, it } from 'vitest';
import { SymbolBook } from '../../src/venues/book-keeper.js';
import { isVenueError, type PriceLevel, type VenueError } from '../../src/venues/index.js';
import type { BookRebuildEvent } from '../../src/venues/watch-order-book.js';
import { CASES, converged, openBook, openFeed, runCleanups, type VenueCase } from './harness.js';
import { waitFor } from './wait.js';

afterEach(runCleanups);

const venue = (dialect: string): VenueCase => CASES.find((c) => c.dialect === dialect)!;

/** A bybit delta on top of the book at `seq`, with the given sides. */
const bybitDelta = (s: string, seq: number, b: unknown, a: unknown = [], u: unknown = seq + 1): string =>
  JSON.stringify({ topic: `orderbook.50.${s}`, type: 'delta', ts: 1, data: { s, b, a, u, seq: 1 } });

/** One malformed update per venue, each with a valid first level so a half-applied update would show. */
const MALFORMED: Record<string, (symbol: string, seq: number) => string> = {
  binance: (s, seq) => JSON.stringify({ e: 'depthUpdate', E: 1, s, U: seq + 1, u: seq + 1, b: [['0.5', '1'], [98, '1']], a: [] }),
  'binance-futures': (s, seq) => JSON.stringify({ e: 'depthUpdate', E: 1, T: 1, s, U: seq + 1, u: seq + 2, pu: seq, b: [['0.5', '1'], [98, '1']], a: [] }),
  bybit: (s, seq) => bybitDelta(s, seq, [['0.5', '1'], [98, '1'], ['0.4', '1']]),
  okx: (s) => JSON.stringify({ arg: { channel: 'books', instId: s }, action: 'update' }),
  kraken: (s) => `{"channel":"book","type":"update","data":[{"symbol":"${s}","bids":[{"price":0.5,"qty":1},{"price":-5,"qty":1}],"asks":[],"checksum":0,"timestamp":"t"}]}`,
  coinbase: (s) => JSON.stringify({
    channel: 'l2_data', timestamp: 't',
    events: [{ type: 'update', product_id: s, updates: [
      { side: 'bid', event_time: 't', price_level: '0.5', new_quantity: '1' },
      { side: 'bid', event_time: 't', price_level: 'abc', new_quantity: '1' },
    ] }],
  }),
};

interface Seen { error: VenueError; bids: PriceLevel[]; consistent: boolean }

/** Watches the venue on the fault server, sends `frame` for its first symbol, and returns what the handle reported. */
async function refused(v: VenueCase, frame: (symbol: string, seq: number) => string): Promise<{ seen: Seen; before: PriceLevel[]; rebuilds: BookRebuildEvent[] }> {
  const feed = await openFeed(v, 9);
  const handle = openBook(v, feed);
  await handle.ready;
  const symbol = v.symbols[0]!;
  const book = handle.book(symbol);
  const before = book.bids();
  const rebuilds: BookRebuildEvent[] = [];
  let seen: Seen | undefined;
  handle.on('rebuild', (event) => rebuilds.push(event));
  handle.on('error', (error) => (seen ??= { error, bids: book.bids(), consistent: book.consistent }));
  feed.sendRaw(frame(symbol, book.sequence ?? 0));
  await waitFor(() => seen !== undefined, 3_000);
  await converged(v, feed, handle);
  return { seen: seen!, before, rebuilds };
}

describe('a malformed book update is refused whole and the book rebuilt', () => {
  it.each(Object.keys(MALFORMED))('%s', async (dialect) => {
    const v = venue(dialect);
    const { seen, before, rebuilds } = await refused(v, MALFORMED[dialect]!);
    const symbol = v.symbols[0]!;
    expect(isVenueError(seen.error)).toBe(true);
    expect(seen.error).toMatchObject({ venue: dialect, symbol, code: 'RS_INVALID_BOOK_UPDATE' });
    expect(seen.error.message).toContain(`${dialect} sent an invalid book update for ${symbol}: `);
    // Nothing of it was applied, and the book said so at once.
    expect(seen.bids).toEqual(before);
    expect(seen.consistent).toBe(false);
    expect(rebuilds).toContainEqual({ symbol, reason: 'invalid' });
  });

  it.each([
    ['a number price', (s: string, seq: number) => bybitDelta(s, seq, [['0.5', '1'], [98, '1']]), /bids\[1\].*98/],
    ['a one-element level', (s: string, seq: number) => bybitDelta(s, seq, [['0.5']]), /bids\[0\]/],
    ['`b` that is a string', (s: string, seq: number) => bybitDelta(s, seq, 'xy'), /bids/],
    ['a missing `data`', (s: string) => JSON.stringify({ topic: `orderbook.50.${s}`, type: 'delta', ts: 1 }), /bids/],
    ['an id that is a string', (s: string, seq: number) => bybitDelta(s, seq, [['0.5', '1']], [], String(seq + 1)), /id/],
    ['a negative quantity', (s: string, seq: number) => bybitDelta(s, seq, [['0.5', '-1']]), /bids\[0\].*-1/],
    ['an empty price', (s: string, seq: number) => bybitDelta(s, seq, [], [['', '1']]), /asks\[0\]/],
    ['"abc" and "-5" prices in a snapshot', (s: string, seq: number) =>
      JSON.stringify({ topic: `orderbook.50.${s}`, type: 'snapshot', ts: 1, data: { s, b: [['abc', '1'], ['-5', '1']], a: [['101', '1']], u: seq + 1, seq: 1 } }), /bids\[0\].*abc/],
  ])('bybit: %s', async (_name, frame, problem) => {
    const { seen, before } = await refused(venue('bybit'), frame);
    expect(seen.error.text).toMatch(problem);
    expect(seen.bids).toEqual(before);
  });

  it('a price with a huge exponent is refused at once (it was written out in full: seconds and hundreds of MB)', async () => {
    const { seen, before } = await refused(venue('bybit'), (s, seq) => bybitDelta(s, seq, [['1e300000000', '1']]));
    expect(seen.error.text).toMatch(/1e300000000/);
    expect(seen.bids).toEqual(before);
  });
});

describe('the book keeper checks an update before touching the book', () => {
  const snapshot = { symbol: 'X', kind: 'snapshot' as const, bids: [['100', '1'], ['99', '2']], asks: [['101', '1']], last: 1 };

  it('refuses an update it cannot apply whole, and keeps the book as it was', () => {
    const book = new SymbolBook('X', undefined, undefined, true);
    expect(book.apply(snapshot, 0)).toBe('applied');
    expect(book.apply({ symbol: 'X', kind: 'delta', bids: [['98', '1'], [97, '1']], asks: [], first: 2, last: 2 }, 1)).toBe('invalid');
    expect(book.problem).toMatch(/bids\[1\]/);
    expect(book.consistent).toBe(false);
    expect(book.book.bids()).toEqual([['100', '1'], ['99', '2']]);
  });

  it('refuses a numbered delta without an id', () => {
    const book = new SymbolBook('X', undefined, undefined, true);
    book.apply(snapshot, 0);
    expect(book.apply({ symbol: 'X', kind: 'delta', bids: [['98', '1']], asks: [] }, 1)).toBe('invalid');
  });

  it('still deletes a level whose quantity is zero in any plain spelling', () => {
    const book = new SymbolBook('X', undefined, undefined, true);
    book.apply(snapshot, 0);
    expect(book.apply({ symbol: 'X', kind: 'delta', bids: [['99.000', '0.00000000'], ['100', '0']], asks: [], first: 2, last: 2 }, 1)).toBe('applied');
    expect(book.book.bids()).toEqual([]);
  });
});
