/** The venues with presets in `resilient-stream/venues`. */
export type VenueName = 'binance' | 'binance-futures' | 'coinbase' | 'kraken' | 'bybit' | 'okx';

/** `code` of a {@link VenueError} for a book update the order book refused whole (malformed levels or ids). */
export const INVALID_BOOK_UPDATE = 'RS_INVALID_BOOK_UPDATE';

/**
 * An error frame the venue sent: a refused subscription, an unknown symbol, a rate-limit notice; or
 * (code `RS_INVALID_BOOK_UPDATE`) a book update the order book refused whole, with the `symbol` it was for.
 * Never thrown by the presets: `venue.errorOf(message)` builds it from a message, and
 * {@link watchVenueErrors} and order-book handles emit it. `text` is the venue's own wording, or what
 * was wrong with the refused update.
 */
export class VenueError extends Error {
  override readonly name = 'VenueError';
  /** Which venue sent it. */
  readonly venue: VenueName;
  /** The venue's error code as text (`"-1121"`, `"60012"`), when it sent one; `RS_INVALID_BOOK_UPDATE` for a refused book update. */
  readonly code: string | undefined;
  /** The venue's message, verbatim; for a refused book update, what was wrong with it. */
  readonly text: string;
  /** The whole decoded frame, for logging. */
  readonly frame: unknown;
  /** The book a refused update was for (`RS_INVALID_BOOK_UPDATE`); undefined when the update named no symbol, and for venue error frames. */
  readonly symbol: string | undefined;

  constructor(venue: VenueName, text: string, frame: unknown, code?: string, symbol?: string) {
    super(code === INVALID_BOOK_UPDATE
      ? `${venue} sent an invalid book update${symbol === undefined ? '' : ` for ${symbol}`}: ${text}`
      : `${venue} refused a request${code === undefined ? '' : ` (code ${code})`}: ${text}`);
    this.venue = venue;
    this.text = text;
    this.code = code;
    this.frame = frame;
    this.symbol = symbol;
  }
}

/** Whether a value is a {@link VenueError} (also across bundle copies). */
export function isVenueError(value: unknown): value is VenueError {
  return value instanceof VenueError || (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'VenueError');
}
