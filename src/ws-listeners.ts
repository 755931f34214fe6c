import type { FrameReceiver, TransportHandlers } from './transport.js';

// Node's `ws` socket, heard through its EventEmitter API: no event object per message, protocol
// pings visible, the status of a refused handshake visible. Only Node runs this: the browser build
// swaps in `ws-listeners.browser.ts` (tsup.config.ts), where no socket is ever a `ws` socket.

/** The parts of Node's `ws` socket used beyond the standard WebSocket surface. */
export interface WsSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners(): unknown;
  ping(): void;
  pong(data: Uint8Array): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}

/**
 * What ws's listeners report to: the socket's transport. They read it on every event, because the
 * transport swaps its handlers and receiver (redirected to a rotation's stream, silenced on dispose).
 */
export interface WsOwner {
  /** Where everything but frames goes, now. */
  readonly handlers: TransportHandlers;
  /** Where frames go, now. */
  readonly receiver: FrameReceiver;
  /** False when the stream answers pings itself (ws's `autoPong: false`). */
  readonly autoPong: boolean;
}

/** Where ws's shared listeners find the owner of the socket they were called on. */
const OWNER = Symbol('resilient-stream transport');
type OwnedSocket = WsSocket & { [OWNER]: WsOwner };
/** An event of ws's socket and the shared function that listens to it. */
type WsListener = readonly [string, (this: OwnedSocket, ...args: never[]) => void];

interface HttpResponse {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
}

const NOOP = (): void => {};

/** Parses `Retry-After` (seconds or an HTTP date) into ms, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Listens to `socket` for `owner` when it is Node's `ws` (it has `on` and `ping`) and returns it as
 * one; returns undefined for any other WebSocket, which the caller hears through the standard `on*`
 * handlers.
 */
export function listenWs(socket: WebSocket, owner: WsOwner): WsSocket | undefined {
  const candidate = socket as unknown as Partial<WsSocket>;
  if (typeof candidate.on !== 'function' || typeof candidate.ping !== 'function') return undefined;
  const owned = Object.assign(candidate as WsSocket, { [OWNER]: owner });
  for (const [event, listener] of DIAL_LISTENERS) owned.on(event, listener);
  return owned;
}

/** Removes every listener from `socket` but a no-op for errors: nothing it emits is heard again. */
export function silenceWs(socket: WsSocket): void {
  socket.removeAllListeners();
  // terminate() may still emit an error on a socket that was connecting; nobody must see it.
  socket.on('error', NOOP);
}

// ── the listeners ─────────────────────────────────────────────────────────────────────────────
// The same functions for every socket: ws calls a listener with the socket as `this`, and the
// socket names its owner, so an idle socket carries no closure per event. ws keeps a socket's
// listeners in a dictionary that doubles past five events, so the handshake's two make way for
// ping and pong at open: never more than five at a time (~190 B less per socket than seven).

function onOpen(this: OwnedSocket): void {
  for (const [event, listener] of HANDSHAKE_LISTENERS) this.removeListener(event, listener);
  for (const [event, listener] of LIVE_LISTENERS) this.on(event, listener);
  this[OWNER].handlers.onOpen();
}

function onHandshakeRejected(this: OwnedSocket, _request: unknown, response: HttpResponse): void {
  const status = response.statusCode ?? 0;
  this[OWNER].handlers.onHandshakeRejected(status, parseRetryAfter(response.headers['retry-after'], Date.now()));
  this.terminate();
}

function onMessage(this: OwnedSocket, data: Uint8Array, isBinary: boolean): void {
  // ws hands over a Buffer (a Uint8Array) for both kinds; text must become a string for decode.
  this[OWNER].receiver.receive(isBinary ? data : data.toString(), data.byteLength);
}

function onClose(this: OwnedSocket, code: number, reason: Uint8Array): void {
  this[OWNER].handlers.onClose(code, reason.toString(), code !== 1006);
}

function onError(this: OwnedSocket, error: Error): void {
  this[OWNER].handlers.onError(error);
}

function onPing(this: OwnedSocket, data: Uint8Array): void {
  const owner = this[OWNER];
  owner.handlers.onControlFrame();
  if (!owner.autoPong) owner.handlers.onPing(data);
}

function onPong(this: OwnedSocket): void {
  this[OWNER].handlers.onControlFrame();
}

const HANDSHAKE_LISTENERS: readonly WsListener[] = [['open', onOpen], ['unexpected-response', onHandshakeRejected]];
const DIAL_LISTENERS: readonly WsListener[] = [
  ...HANDSHAKE_LISTENERS, ['message', onMessage], ['close', onClose], ['error', onError],
];
/** Control frames can only follow the open. */
const LIVE_LISTENERS: readonly WsListener[] = [['ping', onPing], ['pong', onPong]];
