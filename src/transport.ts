import IsomorphicWebSocket from 'isomorphic-ws';
import { Fifo } from './fifo.js';
import type { WebSocketConstructor } from './options.js';
import { listenWs, silenceWs, type WsOwner, type WsSocket } from './ws-listeners.js';

/** Where inbound frames go (the hot path, kept apart from the other handlers to save a hop). */
export interface FrameReceiver {
  /** One inbound frame: text as a string, binary as a Uint8Array, with its size in bytes (text: at least its length). */
  receive(data: string | Uint8Array, byteLength: number): void;
}

/** What a transport reports besides frames; one object per socket, owned by the conductor. */
export interface TransportHandlers {
  onOpen(): void;
  /** A protocol ping or pong frame arrived (liveness only). */
  onControlFrame(): void;
  /** A protocol ping arrived while ws's auto-pong is off (`rateLimit.countControlFrames`): answer it. */
  onPing(data: Uint8Array): void;
  onClose(code: number, reason: string, wasClean: boolean): void;
  onError(error: Error): void;
  /** The server refused the upgrade with an HTTP status (Node `ws` only; browsers cannot see it). */
  onHandshakeRejected(status: number, retryAfterMs: number | undefined): void;
  /** Paused in a browser, the socket kept sending past the held-frame bound. */
  onPausedOverflow(): void;
}

const NOOP = (): void => {};
/** What a disposed transport reports to: nothing. Shared by every transport. */
const SILENT: TransportHandlers = Object.freeze({
  onOpen: NOOP, onControlFrame: NOOP, onPing: NOOP, onClose: NOOP, onError: NOOP, onHandshakeRejected: NOOP, onPausedOverflow: NOOP,
});
const DEAF: FrameReceiver = Object.freeze({ receive: NOOP });

/**
 * One WebSocket, normalised: Node's `ws` through its EventEmitter API (no event object per
 * message, protocol pings available, handshake status visible; see ws-listeners.ts), any other
 * WebSocket through the standard `on*` handlers. After `dispose()` the socket can never speak again.
 */
export class Transport implements WsOwner {
  readonly #socket: WebSocket;
  /** The socket when it is Node's `ws` (never in the browser build, whose ws-listeners finds none). */
  readonly #node: WsSocket | undefined;
  #handlers: TransportHandlers;
  #receiver: FrameReceiver;
  #disposed = false;
  /** Browsers only: frames held while paused (a standard WebSocket cannot stop reading), at most `#pausedLimit`. */
  #held: Fifo<[string | Uint8Array, number]> | undefined;
  readonly #pausedLimit: number;
  /** False when the stream answers pings itself (they count toward its rate limit). */
  readonly #autoPong: boolean;

  constructor(url: string, protocols: string | string[] | undefined, WebSocketImpl: WebSocketConstructor | undefined,
    clientOptions: Record<string, unknown>, handlers: TransportHandlers, receiver: FrameReceiver, pausedLimit: number) {
    this.#pausedLimit = pausedLimit;
    this.#autoPong = clientOptions.autoPong !== false;
    const Impl = WebSocketImpl ?? (IsomorphicWebSocket as unknown as WebSocketConstructor);
    this.#handlers = handlers;
    this.#receiver = receiver;
    // Standard WebSockets ignore the third argument; Node's ws reads its options from it.
    this.#socket = new Impl(url, protocols, clientOptions);
    this.#node = listenWs(this.#socket, this);
    if (this.#node === undefined) this.#listenStandard();
  }

  /** Where everything but frames goes now (ws's listeners read it per event). */
  get handlers(): TransportHandlers {
    return this.#handlers;
  }

  /** Where frames go now (ws's listeners read it per frame). */
  get receiver(): FrameReceiver {
    return this.#receiver;
  }

  /** False when the stream answers pings itself (they count toward its rate limit). */
  get autoPong(): boolean {
    return this.#autoPong;
  }

  /** True when protocol ping frames can be sent (Node's `ws`; never in browsers). */
  get canPing(): boolean {
    return this.#node !== undefined;
  }

  /** True while the socket is open and not disposed. */
  get isOpen(): boolean {
    return !this.#disposed && this.#socket.readyState === 1;
  }

  /** Sends one frame; throws if the socket is not open. */
  send(frame: string | ArrayBufferLike | ArrayBufferView): void {
    this.#socket.send(frame as string);
  }

  /** Sends a protocol ping frame (only when `canPing`). */
  ping(): void {
    try {
      this.#node?.ping();
    } catch {
      // Not open (any more): the heartbeat's timeout judges this socket.
    }
  }

  /** Sends inbound frames to `receiver` from now on (a rotation's replacement becoming the stream's socket). */
  redirect(receiver: FrameReceiver): void {
    if (!this.#disposed) this.#receiver = receiver;
  }

  /** Stops reading: Node's ws pauses the TCP socket; in browsers frames wait in a bounded buffer. */
  pause(): void {
    if (this.#node !== undefined) this.#node.pause();
    else this.#held ??= new Fifo();
  }

  /** Reads again, delivering held frames first (a listener that pauses again holds the rest, in order). */
  resume(): void {
    if (this.#node !== undefined) return this.#node.resume();
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) for (const [data, byteLength] of held.drain()) this.#receive(data, byteLength);
  }

  /** Sends a protocol pong with the ping's payload (Node's ws only). */
  pong(data: Uint8Array): void {
    this.#node?.pong(data);
  }

  /** Starts the closing handshake; the caller decides how long to wait for it. */
  close(code: number, reason: string): void {
    try {
      this.#socket.close(code, reason);
    } catch {
      // An invalid code or a socket still connecting: cutting it is the only option left.
      this.terminate();
    }
  }

  /** Cuts the socket at once, without a closing handshake (the only safe move on a half-open socket). */
  terminate(): void {
    if (this.#node !== undefined) this.#node.terminate();
    else if (this.#socket.readyState !== 3) this.#socket.close();
  }

  /** Silences the socket and closes it politely (a rotation retiring it); `dispose()` cuts it later if needed. */
  retire(code: number, reason: string): void {
    this.#handlers = SILENT;
    this.#receiver = DEAF;
    this.close(code, reason);
  }

  /** Silences the socket for good and cuts it. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#handlers = SILENT;
    this.#receiver = DEAF;
    this.terminate();
    if (this.#node !== undefined) silenceWs(this.#node);
    else {
      const socket = this.#socket;
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    }
  }

  #listenStandard(): void {
    const socket = this.#socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => this.#handlers.onOpen();
    socket.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (typeof data === 'string') this.#receive(data, data.length);
      else if (data instanceof ArrayBuffer) this.#receive(new Uint8Array(data), data.byteLength);
      else if (ArrayBuffer.isView(data)) {
        this.#receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), data.byteLength);
      }
    };
    socket.onclose = (event: CloseEvent) => this.#handlers.onClose(event.code, event.reason, event.wasClean);
    socket.onerror = () => this.#handlers.onError(new Error('WebSocket error'));
  }

  #receive(data: string | Uint8Array, byteLength: number): void {
    const held = this.#held;
    if (held === undefined) return this.#receiver.receive(data, byteLength);
    if (held.size < this.#pausedLimit) return held.push([data, byteLength]);
    this.#handlers.onPausedOverflow();
  }
}
