import { describe, ResilientStreamError } from './errors.js';
import type { ShouldReconnectContext } from './options.js';

/**
 * How a connection ended. Every end goes through the conductor's one teardown path, which reads
 * the kind to decide what happens next.
 *
 * - `dial-failed`: the connection never became live (refused, timed out, the handshake or the
 *   subscribe hook failed, or the socket closed before it was live).
 * - `lost`: a live socket closed without being asked to (a network drop, a server close).
 * - `recycled`: the stream cut a live socket because it was unhealthy (stale, no pong, a message
 *   too large, a failed resync).
 * - `requested`: the user or the platform asked for a fresh socket (`reconnect()`, going offline).
 * - `closing`: `close()`.
 *
 * Only faults carry an `error`. Unrequested ends (`dial-failed`, `lost`, `recycled`) count toward
 * `backoff.maxAttempts`, the backoff delay and storm windows; requested ones never do.
 */
export type EndKind = 'dial-failed' | 'lost' | 'recycled' | 'requested' | 'closing';

/** One connection's end, as the teardown path needs to know it. */
export interface ConnectionEnd {
  readonly kind: EndKind;
  /** The fault behind the end; absent for requested ends and normal server closes (1000, 1001). */
  readonly error?: ResilientStreamError;
  /** The close code, when a close frame (or 1006) ended an open socket, or the code we closed with. */
  readonly code?: number;
  readonly reason?: string;
  /** The HTTP status of a refused handshake. */
  readonly status?: number;
  readonly wasClean?: boolean;
  /** The error is news that no other event tells (a failed dial); emit it as `error`. */
  readonly report?: boolean;
  /** A programmer mistake no retry can fix (a url function returned a url that cannot be dialed): the stream fails. */
  readonly isFatal?: boolean;
  /** Requested ends: how long to wait before dialing again, in ms (0 for `reconnect()`). */
  readonly waitMs?: number;
}

/** True when the end counts toward attempts, backoff and storms (it was not asked for). */
export function isUnrequested(end: ConnectionEnd): boolean {
  return end.kind === 'dial-failed' || end.kind === 'lost' || end.kind === 'recycled';
}

/** Words for logs and the `reconnecting` event: the error's message, else what happened. */
export function describeEnd(end: ConnectionEnd): string {
  if (end.error !== undefined) return end.error.message;
  if (end.kind === 'lost') return `The server closed the connection (code ${end.code ?? 1005}${end.reason ? `, ${end.reason}` : ''}).`;
  return end.reason || end.kind;
}

/**
 * `shouldReconnect`'s verdict on an unrequested end: `[refusal]` is the terminal RS_FATAL_CLOSE
 * when it says no; `[undefined, error]` reports a hook that threw (the stream reconnects anyway).
 */
export function refusalOf(end: ConnectionEnd, shouldReconnect: (context: ShouldReconnectContext) => boolean): [ResilientStreamError?, ResilientStreamError?] {
  try {
    if (shouldReconnect({ code: end.code, reason: end.reason, status: end.status, error: end.error })) return [];
  } catch (cause) {
    return [undefined, new ResilientStreamError('RS_LISTENER', `shouldReconnect threw: ${describe(cause)}; reconnecting anyway.`, { cause, event: 'shouldReconnect' })];
  }
  const detail = end.status !== undefined ? `HTTP ${end.status}` : end.code !== undefined ? `close code ${end.code}` : describe(end.error);
  return [new ResilientStreamError('RS_FATAL_CLOSE', `Not reconnecting after ${detail} (shouldReconnect).`, {
    cause: end.error, status: end.status, closeCode: end.code, closeReason: end.reason })];
}

/** The longest close reason a close frame can carry, in UTF-8 bytes (RFC 6455 §5.5: 125 - 2 for the code). */
const MAX_REASON_BYTES = 123;

/**
 * The code and reason `close()` sends, made sendable: a code other than 1000 or 3000-4999 (what
 * browsers accept; ws throws on others) becomes 1000, and a reason longer than a close frame can
 * carry is cut at a character boundary. Each change is handed to `report` (RS_INVALID_OPTIONS):
 * close() still closes, the mistake is not hidden.
 */
export function closeFrame(code: unknown, reason: unknown, report: (error: ResilientStreamError) => void): [number, string] {
  let sentCode = 1000;
  if (code === 1000 || (Number.isInteger(code) && (code as number) >= 3000 && (code as number) <= 4999)) sentCode = code as number;
  else report(new ResilientStreamError('RS_INVALID_OPTIONS', `Expected close() to get a code of 1000 or 3000-4999, got ${describe(code)}; closed with 1000.`));
  if (typeof reason !== 'string') {
    report(new ResilientStreamError('RS_INVALID_OPTIONS', `Expected close() to get a reason string, got ${describe(reason)}; sent none.`));
    return [sentCode, ''];
  }
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= MAX_REASON_BYTES) return [sentCode, reason];
  // A cut inside a character leaves a partial sequence, decoded as U+FFFD: drop it.
  const cut = new TextDecoder().decode(bytes.subarray(0, MAX_REASON_BYTES)).replace(/\uFFFD$/, '');
  report(new ResilientStreamError('RS_INVALID_OPTIONS',
    `Expected close() to get a reason of at most ${MAX_REASON_BYTES} UTF-8 bytes, got ${bytes.length}; sent its first ${new TextEncoder().encode(cut).length}.`));
  return [sentCode, cut];
}
