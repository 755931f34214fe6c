/** The venues with presets in `resilient-stream/venues`. */
export type VenueName = 'binance' | 'binance-futures' | 'coinbase' | 'kraken' | 'bybit' | 'okx';

/**
 * An error frame the venue sent: a refused subscription, an unknown symbol, a rate-limit notice.
 * Never thrown by the presets: `venue.errorOf(message)` builds it from a message, and
 * {@link watchVenueErrors} and order-book handles emit it. `text` is the venue's own wording.
 */
export class VenueError extends Error {
  override readonly name = 'VenueError';
  /** Which venue sent it. */
  readonly venue: VenueName;
  /** The venue's error code as text (`"-1121"`, `"60012"`), when it sent one. */
  readonly code: string | undefined;
  /** The venue's message, verbatim. */
  readonly text: string;
  /** The whole decoded frame, for logging. */
  readonly frame: unknown;

  constructor(venue: VenueName, text: string, frame: unknown, code?: string) {
    super(`${venue} refused a request${code === undefined ? '' : ` (code ${code})`}: ${text}`);
    this.venue = venue;
    this.text = text;
    this.code = code;
    this.frame = frame;
  }
}

/** Whether a value is a {@link VenueError} (also across bundle copies). */
export function isVenueError(value: unknown): value is VenueError {
  return value instanceof VenueError || (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'VenueError');
}
