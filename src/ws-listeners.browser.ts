import type * as Ws from './ws-listeners.js';

// The browser build's ws-listeners (tsup.config.ts swaps it in for `ws-listeners.ts`). A page has
// no Node `ws` socket: isomorphic-ws's browser entry is globalThis.WebSocket, and a `WebSocket`
// option in a page is W3C-shaped. So every socket takes the standard path, and the EventEmitter
// listeners, the handshake-rejection path and Retry-After parsing stay out of the page's download.

/** Finds no `ws` socket: the transport listens through the standard `on*` handlers. */
export const listenWs: typeof Ws.listenWs = () => undefined;

/** Never called: only a socket `listenWs` returned is silenced this way. */
export const silenceWs: typeof Ws.silenceWs = () => {};
