// `resilient-stream`: everything, StreamPool included. The browser build starts from src/browser.ts
// instead, which leaves StreamPool to `resilient-stream/pool` (src/pool/index.ts). StreamPool is
// imported from its module here, not through the pool entry: the CommonJS pool entry requires this
// file for it (tsup.config.ts), so both hand out the same class.
export * from './browser.js';
export { StreamPool, type StreamPoolEvents, type StreamPoolHealth, type StreamPoolOptions } from './stream-pool.js';
