/**
 * The lifecycle of a stream.
 *
 * - `idle`: constructed, `start()` not called.
 * - `connecting`: resolving the URL, dialing, handshaking, sending subscriptions.
 * - `resyncing`: socket open, resync hook running, inbound messages held back.
 * - `open`: live; messages flow to listeners.
 * - `reconnecting`: waiting out a backoff delay.
 * - `closed`: `close()` was called (terminal).
 * - `failed`: gave up (fatal close, `shouldReconnect` said no, attempts exhausted); `start()` starts over.
 */
export type StreamState = 'idle' | 'connecting' | 'resyncing' | 'open' | 'reconnecting' | 'closed' | 'failed';

/** Every legal move; anything else is a bug in the conductor and throws. */
export const TRANSITIONS: Readonly<Record<StreamState, readonly StreamState[]>> = Object.freeze({
  idle: ['connecting', 'closed'],
  connecting: ['resyncing', 'open', 'reconnecting', 'failed', 'closed'],
  resyncing: ['open', 'reconnecting', 'failed', 'closed'],
  open: ['resyncing', 'reconnecting', 'failed', 'closed'],
  reconnecting: ['connecting', 'failed', 'closed'],
  closed: [],
  failed: ['connecting', 'closed'],
});

/** True when moving from `from` to `to` is allowed. */
export function canTransition(from: StreamState, to: StreamState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** True for states a stream never leaves on its own. */
export function isTerminal(state: StreamState): boolean {
  return state === 'closed' || state === 'failed';
}

/** True while a socket is open and subscribed (messages can be sent directly). */
export function isLive(state: StreamState): boolean {
  return state === 'open' || state === 'resyncing';
}
