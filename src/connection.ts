import type { ConnectionEnd } from './connection-end.js';
import { describe, ResilientStreamError } from './errors.js';
import { redactText, redactUrl } from './redact.js';
import { Transport, type FrameReceiver, type TransportHandlers } from './transport.js';
import { urlProblem } from './validate.js';
import type { ResolvedOptions } from './resolve-options.js';

/** ws reports a frame over `maxPayload` with this error code (and closes with 1009). */
const WS_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
/** Server closes that are a normal end, not a fault: no error is invented for them. */
const NORMAL_CLOSES = new Set([1000, 1001]);

/** What a connection reports to the stream that owns it. */
export interface ConnectionHost {
  /** True while `connection` is one the stream still listens to (its current socket, or a rotation's replacement). */
  owns(connection: Connection): boolean;
  opened(connection: Connection): void;
  /** A protocol ping or pong frame arrived. */
  controlFrame(): void;
  /** A protocol ping to answer ourselves (auto-pong is off under `rateLimit.countControlFrames`). */
  pinged(connection: Connection, data: Uint8Array): void;
  /** True while the consumer has paused reading: a new socket starts paused. */
  readonly isPaused: boolean;
  /** The dial failed, the deadline passed, or the socket closed or broke. */
  ended(connection: Connection, end: ConnectionEnd): void;
}

type DialOptions = Pick<ResolvedOptions<unknown, unknown>, 'url' | 'protocols' | 'WebSocket' | 'clientOptions' | 'connectTimeoutMs' | 'clock' | 'maxMessageBytes' | 'iteratorBufferSize' | 'rateLimit'>;

/**
 * One dial and, if it opens, one socket: resolves and checks the url, enforces the connect
 * deadline until the stream marks it live (dial, handshake and subscribe hook), turns the
 * platform's failures into typed ends with redacted urls, and falls silent for good when disposed. The stream makes a new one for every dial; once the stream stops owning it, it can never speak again.
 *
 * It is its transport's handler object itself (no closure per handler: idle streams are many);
 * frames skip it and go straight to the inbound pipeline. Disposing the transport swaps both for
 * no-ops, so a replaced socket cannot speak.
 */
export class Connection implements TransportHandlers {
  readonly attempt: number;
  /** False only for the first dial after `start()`. */
  readonly isReconnect: boolean;
  /** Aborts when this connection is torn down; created only if the url function or resync hook asks. */
  #abort: AbortController | undefined;
  /** Epoch ms when the socket opened, or undefined while dialing. */
  openedAt: number | undefined;
  /** Epoch ms when the stream went live on this socket (subscriptions sent), or undefined. */
  liveAt: number | undefined;
  /** The redacted url, safe for events and errors. */
  url: string | undefined;
  /** Resolves close()'s wait once the stream has torn this connection down. */
  #onDisposed: (() => void) | undefined;
  readonly #options: DialOptions;
  readonly #host: ConnectionHost;
  #rawUrl: string | undefined;
  #transport: Transport | undefined;
  #connectTimer: unknown;
  #rejection: { status: number; retryAfterMs: number | undefined } | undefined;
  /** A protocol error ws reported before closing; explains the close that follows. */
  #socketError: Error | undefined;
  #retireTimer: unknown;

  readonly #receiver: FrameReceiver;

  /** @param receiver - where inbound frames go (the hot path): the stream's inbound pipeline, or a rotation's. */
  constructor(attempt: number, isReconnect: boolean, options: DialOptions, host: ConnectionHost, receiver: FrameReceiver) {
    this.#receiver = receiver;
    this.attempt = attempt;
    this.isReconnect = isReconnect;
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

  /** The stream is live on this socket: the connect deadline is met. */
  markLive(): void {
    this.#clearConnectTimer();
    this.liveAt = this.#options.clock.now();
  }

  /**
   * A rotation's replacement took over: this socket falls silent at once and closes politely
   * (1000); `onGone` runs after `closeTimeoutMs`, when the owner disposes it for good.
   */
  retire(closeTimeoutMs: number, onGone: () => void): void {
    this.#clearConnectTimer();
    this.#transport?.retire(1000, 'rotated');
    this.#retireTimer = this.#options.clock.setTimeout(() => {
      this.#retireTimer = undefined;
      onGone();
    }, closeTimeoutMs);
  }

  /**
   * Sends a close frame and resolves once the stream has torn this connection down (the server's
   * close arrived), or after `timeoutMs` (then the teardown cuts the socket).
   */
  closePolitely(code: number, reason: string, timeoutMs: number): Promise<void> {
    const { clock } = this.#options;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, timeoutMs);
      this.#onDisposed = () => {
        clock.clearTimeout(timer);
        resolve();
      };
      if (this.#transport === undefined) this.#onDisposed();
      else this.#transport.close(code, reason);
    });
  }

  /** Stops the deadline, aborts the signal and cuts the socket. Called only by the stream's teardown. */
  dispose(reason: unknown): void {
    this.#onDisposed?.();
    this.#onDisposed = undefined;
    this.#clearConnectTimer();
    if (this.#retireTimer !== undefined) this.#options.clock.clearTimeout(this.#retireTimer);
    this.#retireTimer = undefined;
    this.#abort?.abort(reason);
    this.#transport?.dispose();
  }

  /** Removes the dialed url's secrets from a text. */
  redact(text: string): string {
    return this.#rawUrl === undefined ? text : redactText(text, this.#rawUrl);
  }

  get #isCurrent(): boolean {
    return this.#host.owns(this);
  }

  async #dial(): Promise<void> {
    const { url, protocols, WebSocket, clientOptions, maxMessageBytes, iteratorBufferSize, rateLimit } = this.#options;
    try {
      const resolved = typeof url === 'function'
        ? await url({ attempt: this.attempt, isReconnect: this.isReconnect, signal: this.signal })
        : url;
      if (!this.#isCurrent) return;
      const problem = urlProblem(resolved);
      if (problem !== undefined) {
        const error = new ResilientStreamError('RS_CONNECT_FAILED',
          `The url function returned ${problem}; expected an absolute ws:, wss:, http: or https: URL without a #fragment. Not retrying: no retry can fix it.`);
        this.#host.ended(this, { kind: 'dial-failed', error, isFatal: true });
        return;
      }
      const rawUrl = (this.#rawUrl = String(resolved));
      const redacted = redactUrl(rawUrl);
      // The same string when nothing was redacted: no second copy per socket.
      this.url = redacted === rawUrl ? rawUrl : redacted;
      // ws refuses a frame over maxPayload while it arrives (0 is ws's "no limit").
      const wsOptions: Record<string, unknown> = { ...clientOptions, maxPayload: Number.isFinite(maxMessageBytes) ? maxMessageBytes : 0 };
      // Venues that count pongs toward their rate limit: the stream answers pings itself, paced.
      if (rateLimit !== false && rateLimit.countControlFrames) wsOptions.autoPong = false;
      // Frames go straight to the inbound pipeline; a disposed transport drops them, so a replaced socket cannot speak.
      this.#transport = new Transport(this.#rawUrl, protocols, WebSocket, wsOptions, this, this.#receiver, iteratorBufferSize);
      if (this.#host.isPaused) this.#transport.pause();
    } catch (cause) {
      if (!this.#isCurrent) return;
      const error = new ResilientStreamError('RS_CONNECT_FAILED', `Could not dial ${this.url ?? 'the url'}: ${this.redact(describe(cause))}`,
        { cause: this.#redactCause(cause) });
      this.#host.ended(this, { kind: 'dial-failed', error, report: true });
    }
  }

  // ── transport handlers ─────────────────────────────────────────────────────────────────────

  onOpen(): void {
    if (!this.#isCurrent) return;
    this.openedAt = this.#options.clock.now();
    this.#host.opened(this);
  }

  onControlFrame(): void {
    if (this.#isCurrent) this.#host.controlFrame();
  }

  onPing(data: Uint8Array): void {
    if (this.#isCurrent) this.#host.pinged(this, data);
  }

  onClose(code: number, reason: string, wasClean: boolean): void {
    if (this.#isCurrent) this.#closed(code, reason, wasClean);
  }

  onError(error: Error): void {
    if (!this.#isCurrent) return;
    if (this.openedAt === undefined) return this.#failed(error);
    if ((error as { code?: unknown }).code !== WS_TOO_LARGE) {
      this.#socketError = error;
      return;
    }
    const limit = this.#options.maxMessageBytes;
    const message = `Expected messages of at most ${limit} bytes (maxMessageBytes), but a larger frame was arriving; it was refused and the socket recycled.`;
    const kind = this.liveAt === undefined ? 'dial-failed' : 'recycled';
    this.#host.ended(this, { kind, error: new ResilientStreamError('RS_MESSAGE_TOO_LARGE', message), code: 1009, reason: 'message too large', report: true });
  }

  onPausedOverflow(): void {
    if (!this.#isCurrent) return;
    const message = `Expected a paused browser socket to stay within ${this.#options.iteratorBufferSize} held frames (iteratorBufferSize), but the server kept sending; recycling the socket rather than dropping any.`;
    this.#host.ended(this, { kind: this.liveAt === undefined ? 'dial-failed' : 'recycled', error: new ResilientStreamError('RS_PAUSED_OVERFLOW', message), code: 4000, reason: 'paused overflow', report: true });
  }

  onHandshakeRejected(status: number, retryAfterMs: number | undefined): void {
    if (this.#isCurrent) this.#rejection = { status, retryAfterMs };
  }

  #closed(code: number, reason: string, wasClean: boolean): void {
    if (this.openedAt === undefined) {
      this.#failed(new Error(`closed with code ${code} before opening`));
      return;
    }
    const isLive = this.liveAt !== undefined;
    if (isLive && NORMAL_CLOSES.has(code) && this.#socketError === undefined) {
      this.#host.ended(this, { kind: 'lost', code, reason, wasClean });
      return;
    }
    const detail = this.#socketError === undefined ? '' : `: ${this.redact(this.#socketError.message)}`;
    const what = isLive ? 'The connection' : 'The connection closed before it was live:';
    const error = new ResilientStreamError('RS_CONNECT_FAILED', `${what} to ${this.url} closed with code ${code}${reason ? ` (${reason})` : ''}${detail}.`,
      { cause: this.#socketError });
    this.#host.ended(this, { kind: isLive ? 'lost' : 'dial-failed', error, code, reason, wasClean });
  }

  #failed(cause: Error): void {
    const url = this.url ?? 'the url';
    const rejection = this.#rejection;
    const error = rejection === undefined
      ? new ResilientStreamError('RS_CONNECT_FAILED', `Could not connect to ${url}: ${this.redact(cause.message)}`, { cause: this.#redactCause(cause) })
      : new ResilientStreamError('RS_HANDSHAKE_REJECTED', `The server refused the WebSocket handshake with ${url}: HTTP ${rejection.status}.`, {
          cause: this.#redactCause(cause), status: rejection.status, retryAfterMs: rejection.retryAfterMs });
    this.#host.ended(this, { kind: 'dial-failed', error, status: error.status, report: true });
  }

  #timedOut(): void {
    this.#connectTimer = undefined;
    if (!this.#isCurrent || this.liveAt !== undefined) return;
    const what = this.openedAt === undefined ? 'the handshake with' : 'the subscribe hook on';
    const message = `Expected ${what} ${this.url ?? 'the url'} to finish within ${this.#options.connectTimeoutMs} ms (connectTimeoutMs).`;
    const error = new ResilientStreamError('RS_CONNECT_TIMEOUT', message);
    this.#host.ended(this, { kind: 'dial-failed', error, report: true, code: 4000, reason: 'connect timeout' });
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
