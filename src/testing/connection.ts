import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/** What the server knows about a connection when it opens. */
export interface ConnectionInfo {
  /** Server-unique id, counting from 1 in accept order. */
  readonly id: number;
  /** The handshake path and query, e.g. `/stream?streams=btcusdt@trade`. */
  readonly url: string;
  /** The handshake request headers (lower-case names), e.g. to check an auth token. */
  readonly headers: IncomingHttpHeaders;
  /** When the upgrade was accepted, in ms since the epoch. */
  readonly openedAt: number;
}

/**
 * The parts of a `ws` server socket a connection uses. Declared here, not imported, so the published
 * declarations of `resilient-stream/testing` compile without `@types/ws`.
 */
export interface ServerSocket {
  readonly readyState: number;
  send(data: string): void;
  ping(): void;
  terminate(): void;
  close(code?: number, reason?: string): void;
}

/**
 * One accepted WebSocket plus its subscriptions and the per-connection fault state (frozen,
 * muted topics, a pending flap drop, a notice's pending close). Sends are refused while frozen,
 * like a vanished peer.
 */
export class FeedConnection {
  readonly info: ConnectionInfo;
  /** Whether data is wrapped as Binance's combined `{stream, data}`. */
  readonly combined: boolean;
  readonly #ws: ServerSocket;
  readonly #socket: Duplex;
  /** Subscribed stream name → the source it draws from. */
  readonly #topics = new Map<string, string>();
  readonly #muted = new Set<string>();
  #frozen = false;
  #dropTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(info: ConnectionInfo, ws: ServerSocket, socket: Duplex, combined: boolean) {
    this.info = info;
    this.#ws = ws;
    this.#socket = socket;
    this.combined = combined;
  }

  /** The connection id (same as `info.id`). */
  get id(): number {
    return this.info.id;
  }

  /** Whether the server has stopped reading and writing on this connection. */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** Subscribed stream names, in subscription order (muted ones included: the client still believes in them). */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** Whether this connection subscribed to any stream of the source. */
  hasSource(source: string): boolean {
    for (const value of this.#topics.values()) if (value === source) return true;
    return false;
  }

  /** The stream names through which this connection receives a source (muted ones excluded). */
  streamsOf(source: string): string[] {
    const streams: string[] = [];
    for (const [stream, value] of this.#topics) {
      if (value === source && !this.#muted.has(stream)) streams.push(stream);
    }
    return streams;
  }

  /** Adds a subscription; subscribing again to a muted stream brings it back. */
  subscribe(stream: string, source: string): void {
    this.#topics.set(stream, source);
    this.#muted.delete(stream);
  }

  /** Removes a subscription. */
  unsubscribe(stream: string): void {
    this.#topics.delete(stream);
    this.#muted.delete(stream);
  }

  /** Silently stops delivering every stream of the source until the client subscribes again. */
  mute(source: string): void {
    for (const [stream, value] of this.#topics) if (value === source) this.#muted.add(stream);
  }

  /** Lifts every mute. */
  unmuteAll(): void {
    this.#muted.clear();
  }

  /** Sends one text frame unless the connection is frozen or no longer open. */
  send(text: string): boolean {
    if (this.#frozen || this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(text);
    return true;
  }

  /** Sends a protocol ping frame unless frozen. */
  ping(): void {
    if (this.#frozen || this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.ping();
  }

  /** Half-open: stop reading the TCP socket (so pings go unanswered) and stop every send. */
  freeze(): void {
    this.#frozen = true;
    this.#socket.pause();
  }

  /** Reads and writes again; whatever the client sent meanwhile is processed now. */
  unfreeze(): void {
    if (!this.#frozen) return;
    this.#frozen = false;
    this.#socket.resume();
  }

  /** Destroys the TCP socket without a close frame: the client sees 1006. */
  drop(): void {
    this.cancelDrop();
    this.cancelClose();
    this.#ws.terminate();
  }

  /** Starts the closing handshake with a close frame carrying this code and reason. */
  close(code: number, reason: string): void {
    this.cancelDrop();
    this.cancelClose();
    this.#ws.close(code, reason);
  }

  /** Drops the connection abruptly after `delayMs` (the flap fault). */
  scheduleDrop(delayMs: number): void {
    this.cancelDrop();
    this.#dropTimer = setTimeout(() => this.drop(), delayMs);
  }

  /** Cancels a scheduled drop. */
  cancelDrop(): void {
    clearTimeout(this.#dropTimer);
    this.#dropTimer = undefined;
  }

  /** Closes with this code and reason after `delayMs` (a shutdown notice's announced close). */
  scheduleClose(delayMs: number, code: number, reason: string): void {
    this.cancelClose();
    this.#closeTimer = setTimeout(() => this.close(code, reason), delayMs);
  }

  /** Cancels a scheduled close. */
  cancelClose(): void {
    clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
  }
}
