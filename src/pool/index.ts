// `resilient-stream/pool`: topics sharded over several streams with one dial budget. Also exported
// from `resilient-stream` in Node; the browser build of `resilient-stream` leaves it out (a page
// rarely needs more than one socket per feed), so pages import it from here.
export { StreamPool, type StreamPoolEvents, type StreamPoolHealth, type StreamPoolOptions } from '../stream-pool.js';
