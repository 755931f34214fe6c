import { describe, ResilientStreamError } from './errors.js';
import { redactText, redactUrl } from './redact.js';
import { Transport, type FrameReceiver, type TransportHandlers } from './transport.js';
import type { ResolvedOptions } from './resolve-options.js';

/** Why a connection ended, as the conductor's one teardown path needs to know it. */
export interface ConnectionEnd {
  readonly error: ResilientStreamError;
  readonly code?: number;
  readonly reason?: string;
  readonly status?: number;
  readonly wasClean?: boolean;
  /** Dial again without a delay (reconnect(), coming online). */
  readonly isImmediate?: boolean;
}

/** What a connection reports to the stream that owns it. */
export interface ConnectionHost {
  /** The generation of the stream's current connection; any other generation is ignored. */
  readonly generation: number;
  opened(connection: Connection): void;
  /** Where inbound frames go (the hot path). */
  readonly inbound: FrameReceiver;
  /** A protocol ping or pong frame arrived. */
  controlFrame(): void;
  /** The dial failed (already a typed error) or an open socket closed. */
  ended(connection: Connection, end: ConnectionEnd): void;
}

type DialOptions = Pick<ResolvedOptions<unknown, unknown>, 'url' | 'protocols' | 'WebSocket' | 'clientOptions' | 'connectTimeoutMs' | 'clock'>;

/**
 * One dial and, if it opens, one socket: resolves the url, enforces the connect deadline, turns
 * the platform's failures into typed errors with redacted urls, and falls silent for good when
 * disposed. The stream makes a new one, with a new generation number, for every attempt.
 *
 * It is its transport's handler object itself (no closure per handler: idle streams are many);
 * frames skip it and go straight to the inbound pipeline. Disposing the transport swaps both for
 * no-ops, so a replaced socket cannot speak.
 */
export class Connection implements TransportHandlers {
  readonly generation: number;
  readonly attempt: number;
  /** Aborts when this connection is torn down; created only if the url function or resync hook asks. */
  #abort: AbortController | undefined;
  /** Epoch ms when the socket opened, or undefined while dialing. */
  openedAt: number | undefined;
  /** The redacted url, safe for events and errors. */
  url: string | undefined;
  /** Called once the stream has torn this connection down (close() waits on it). */
  onEnded: (() => void) | undefined;
  readonly #options: DialOptions;
  readonly #host: ConnectionHost;
  #rawUrl: string | undefined;
  #transport: Transport | undefined;
  #connectTimer: unknown;
  #rejection: { status: number; retryAfterMs: number | undefined } | undefined;

  constructor(generation: number, attempt: number, options: DialOptions, host: ConnectionHost) {
    this.generation = generation;
    this.attempt = attempt;
    this.#options = options;
    this.#host = host;
  }

  /** Aborts when this connection is torn down (handed to the url function and the resync hook). */
  get signal(): AbortSignal {
    return (this.#abort ??= new AbortController()).signal;
  }

  /** The socket, once the url is resolved. */
  get transport(): Transport | undefined {
    return this.#transport;
  }

  /** Starts the connect deadline and the dial. */
  dial(): void {
    const { clock, connectTimeoutMs } = this.#options;
    this.#connectTimer = clock.setTimeout(() => this.#timedOut(), connectTimeoutMs);
    void this.#dial();
  }

  /** Stops the deadline, aborts the signal and cuts the socket. Called only by the stream's teardown. */
  dispose(reason: unknown): void {
    this.#clearConnectTimer();
    this.#abort?.abort(reason);
    this.#transport?.dispose();
  }

  /** Removes the dialed url's secrets from a text. */
  redact(text: string): string {
    return this.#rawUrl === undefined ? text : redactText(text, this.#rawUrl);
  }

  get #isCurrent(): boolean {
    return this.generation === this.#host.generation;
  }

  async #dial(): Promise<void> {
    const { url, protocols, WebSocket, clientOptions } = this.#options;
    try {
      const resolved = typeof url === 'function'
        ? await url({ attempt: this.attempt, isReconnect: this.attempt > 0, signal: this.signal })
        : url;
      if (!this.#isCurrent) return;
      this.#rawUrl = String(resolved);
      this.url = redactUrl(this.#rawUrl);
      // Frames go straight to the inbound pipeline; a disposed transport drops them, so a replaced socket cannot speak.
      this.#transport = new Transport(this.#rawUrl, protocols, WebSocket, clientOptions, this, this.#host.inbound);
    } catch (cause) {
      if (!this.#isCurrent) return;
      const error = new ResilientStreamError('RS_CONNECT_FAILED', `Could not dial ${this.url ?? 'the url'}: ${this.redact(describe(cause))}`,
        { cause: this.#redactCause(cause) });
      this.#host.ended(this, { error });
    }
  }

  // ── transport handlers ─────────────────────────────────────────────────────────────────────

  onOpen(): void {
    if (!this.#isCurrent) return;
    this.#clearConnectTimer();
    this.openedAt = this.#options.clock.now();
    this.#host.opened(this);
  }

  onControlFrame(): void {
    if (this.#isCurrent) this.#host.controlFrame();
  }

  onClose(code: number, reason: string, wasClean: boolean): void {
    if (this.#isCurrent) this.#closed(code, reason, wasClean);
  }

  onError(error: Error): void {
    if (this.#isCurrent && this.openedAt === undefined) this.#failed(error);
  }

  onHandshakeRejected(status: number, retryAfterMs: number | undefined): void {
    if (this.#isCurrent) this.#rejection = { status, retryAfterMs };
  }

  #closed(code: number, reason: string, wasClean: boolean): void {
    if (this.openedAt === undefined) {
      this.#failed(new Error(`closed with code ${code} before opening`));
      return;
    }
    const error = new ResilientStreamError('RS_CONNECT_FAILED', `The connection to ${this.url} closed with code ${code}${reason ? ` (${reason})` : ''}.`);
    this.#host.ended(this, { error, code, reason, wasClean });
  }

  #failed(cause: Error): void {
    const url = this.url ?? 'the url';
    const rejection = this.#rejection;
    const error = rejection === undefined
      ? new ResilientStreamError('RS_CONNECT_FAILED', `Could not connect to ${url}: ${this.redact(cause.message)}`, { cause: this.#redactCause(cause) })
      : new ResilientStreamError('RS_HANDSHAKE_REJECTED', `The server refused the WebSocket handshake with ${url}: HTTP ${rejection.status}.`, {
          cause: this.#redactCause(cause), status: rejection.status, retryAfterMs: rejection.retryAfterMs });
    this.#host.ended(this, { error, status: error.status });
  }

  #timedOut(): void {
    this.#connectTimer = undefined;
    if (!this.#isCurrent || this.openedAt !== undefined) return;
    const message = `Expected the handshake with ${this.url ?? 'the url'} to finish within ${this.#options.connectTimeoutMs} ms (connectTimeoutMs).`;
    this.#host.ended(this, { error: new ResilientStreamError('RS_CONNECT_TIMEOUT', message) });
  }

  /** A cause whose message quotes the url is replaced by a copy without the secrets. */
  #redactCause(cause: unknown): unknown {
    if (!(cause instanceof Error)) return cause;
    const message = this.redact(cause.message);
    if (message === cause.message) return cause;
    const copy = new Error(message);
    copy.name = cause.name;
    return copy;
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer === undefined) return;
    this.#options.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }
}
