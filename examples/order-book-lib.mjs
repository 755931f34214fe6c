// A local copy of a Binance-style order book kept exact by resilient-stream: the REST snapshot is
// applied in the `resync` hook, diff events in `message`. Shared by examples/order-book.mjs and
// test/integration/order-book.test.ts, so the example and its test run the same code.
// Depends on nothing: pass the options to whichever ResilientStream you import.

/**
 * One side of the book as Binance sends it: `[price, quantity]` decimal strings.
 * @typedef {[price: string, quantity: string]} PriceLevel
 */

/**
 * An order book at one update id: the REST snapshot's shape (and `feed.book()`'s).
 * @typedef {{ lastUpdateId: number, bids: PriceLevel[], asks: PriceLevel[] }} BookSnapshot
 */

/**
 * A local order book: a snapshot plus the diff events that follow it. Quantities are absolute
 * and a zero quantity removes the level. It also checks the Binance continuity rule on every
 * event, so a hole or a repeat in what it was given shows up in `violations`.
 */
export class LocalOrderBook {
  /** @type {Map<string, string>} */
  #bids = new Map();
  /** @type {Map<string, string>} */
  #asks = new Map();
  /** @type {number | undefined} */
  #lastUpdateId;
  /** Continuity problems seen (events that did not follow the book's update id). @type {string[]} */
  violations = [];
  /** Snapshots applied, stale ones included. */
  snapshots = 0;
  /** Diff events applied. */
  updates = 0;

  /** The update id the book is at, or undefined before the first snapshot. */
  get lastUpdateId() {
    return this.#lastUpdateId;
  }

  /**
   * Replaces the whole book with a REST snapshot.
   * @param {BookSnapshot} snapshot
   */
  applySnapshot(snapshot) {
    this.#bids = new Map(snapshot.bids);
    this.#asks = new Map(snapshot.asks);
    this.#lastUpdateId = snapshot.lastUpdateId;
    this.snapshots++;
  }

  /**
   * Applies a message if it is a diff depth event; anything else (acks, trades) is ignored.
   * The event must satisfy `U <= lastUpdateId + 1 <= u` (the first event after a snapshot may
   * overlap it; later ones start right after the previous `u`).
   * @param {unknown} message
   * @returns {boolean} whether it was a depth event that was applied
   */
  apply(message) {
    if (!isDepthUpdate(message)) return false;
    const at = this.#lastUpdateId;
    if (at === undefined) {
      this.violations.push(`event ${message.U}-${message.u} before any snapshot`);
      return false;
    }
    if (message.u <= at) {
      this.violations.push(`event ${message.U}-${message.u} is already in the book (at ${at})`);
      return false;
    }
    if (message.U > at + 1) this.violations.push(`event ${message.U}-${message.u} skips ${at + 1}-${message.U - 1}`);
    for (const [price, quantity] of message.b) setLevel(this.#bids, price, quantity);
    for (const [price, quantity] of message.a) setLevel(this.#asks, price, quantity);
    this.#lastUpdateId = message.u;
    this.updates++;
    return true;
  }

  /**
   * The book sorted best first (bids high to low, asks low to high), like the REST snapshot.
   * @returns {BookSnapshot}
   */
  snapshot() {
    return {
      lastUpdateId: this.#lastUpdateId ?? 0,
      bids: sorted(this.#bids, -1),
      asks: sorted(this.#asks, 1),
    };
  }
}

/**
 * Options for `new ResilientStream(...)` that keep `book` in step with a Binance-style feed:
 * subscribe to `<symbol>@depth@100ms` after every open, fetch the REST snapshot in the resync
 * hook (after every open and on every gap) and report its `lastUpdateId` as the sequence, and
 * number depth events by `[U, u]` so the stream drops what the snapshot covers, drops duplicates
 * and resyncs on gaps. Apply messages with `stream.on('message', (m) => book.apply(m))`.
 *
 * @param {{ wsUrl: string, restUrl: string, symbol: string, book: LocalOrderBook,
 *   fetch?: typeof globalThis.fetch, depthLimit?: number }} settings
 *   `wsUrl` is the WebSocket base (`/ws` is appended), `restUrl` the HTTP base of `/api/v3/depth`,
 *   `depthLimit` the snapshot's levels per side (default 1000).
 */
export function orderBookOptions({ wsUrl, restUrl, symbol, book, fetch = globalThis.fetch, depthLimit = 1000 }) {
  let requestId = 0;
  const snapshotUrl = `${restUrl}/api/v3/depth?symbol=${encodeURIComponent(symbol.toUpperCase())}&limit=${depthLimit}`;
  return {
    url: `${wsUrl}/ws`,
    topics: [`${symbol.toLowerCase()}@depth@100ms`],
    subscribe: ({ topics }) => ({ method: 'SUBSCRIBE', params: topics, id: ++requestId }),
    unsubscribe: ({ topics }) => ({ method: 'UNSUBSCRIBE', params: topics, id: ++requestId }),
    // Acks ({"result":null,"id":1}) are not data: they must not hide a silent feed.
    isData: (message) => isDepthUpdate(message),
    sequence: (message) => (isDepthUpdate(message) ? [message.U, message.u] : undefined),
    resync: async ({ signal }) => {
      // The signal aborts the fetch if the socket is replaced or the stream closes meanwhile.
      const response = await fetch(snapshotUrl, { signal });
      if (!response.ok) throw new Error(`Expected HTTP 200 from the depth snapshot, got ${response.status}.`);
      /** @type {BookSnapshot} */
      const snapshot = await response.json();
      book.applySnapshot(snapshot);
      // Held events up to lastUpdateId are dropped; if the snapshot is older than the first held
      // event, the stream calls this hook again instead of replaying across a hole.
      return { sequence: snapshot.lastUpdateId };
    },
  };
}

/** @returns {message is { e: 'depthUpdate', U: number, u: number, b: PriceLevel[], a: PriceLevel[] }} */
function isDepthUpdate(/** @type {any} */ message) {
  return typeof message === 'object' && message !== null && message.e === 'depthUpdate';
}

/** @param {Map<string, string>} side @param {string} price @param {string} quantity */
function setLevel(side, price, quantity) {
  if (Number(quantity) === 0) side.delete(price);
  else side.set(price, quantity);
}

/** @param {Map<string, string>} side @param {1 | -1} direction @returns {PriceLevel[]} */
function sorted(side, direction) {
  return [...side].sort((x, y) => direction * (Number(x[0]) - Number(y[0])));
}
