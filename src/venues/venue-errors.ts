import type { ResilientStream } from '../resilient-stream.js';
import type { VenueError } from './venue-error.js';

/**
 * Calls `listener` with a {@link VenueError} for every error frame the venue sends on `stream`
 * (a refused subscription, an unknown symbol). Returns a function that stops listening.
 *
 * @example
 * ```ts
 * const stream = new ResilientStream(kraken.trades('BTC/USD')).start();
 * watchVenueErrors(stream, kraken, (error) => console.error(error.text));
 * ```
 */
export function watchVenueErrors<In, Out>(
  stream: ResilientStream<In, Out>,
  venue: { errorOf(message: In): VenueError | undefined },
  listener: (error: VenueError) => void,
): () => void {
  const onMessage = (message: In): void => {
    const error = venue.errorOf(message);
    if (error !== undefined) listener(error);
  };
  stream.on('message', onMessage);
  return () => void stream.off('message', onMessage);
}
