import { describe, ResilientStreamError } from './errors.js';
import { parts } from './lazy.js';
import type { Pacer } from './pacer.js';
import { SendQueue } from './send-queue.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { Transport } from './transport.js';

/** What the outbound side asks of the stream. */
export interface OutboundHost {
  error(error: ResilientStreamError): void;
  /** Report the error and replace the socket. */
  recycle(error: ResilientStreamError): void;
}

/** The dial a subscription belongs to. */
export interface SubscribeTarget {
  readonly transport: Transport | undefined;
  readonly attempt: number;
  readonly isReconnect: boolean;
  /** False once the socket was replaced: the hook's answer must not be sent then. */
  isCurrent(): boolean;
  /** Where a failed hook is reported; the stream's socket is recycled when absent. */
  fail?(error: ResilientStreamError): void;
}

/** An encoded outbound frame. */
type Frame = string | ArrayBufferLike | ArrayBufferView;
/** A protocol ping (no payload) or a pong answering one: control frames go through pacing too. */
class Control {
  constructor(public pong?: Uint8Array) {}
}
const PING = new Control();

type OutboundOptions<Out> = Pick<ResolvedOptions<never, Out>, 'encode' | 'sendQueue' | 'subscribe' | 'unsubscribe' | 'clock' | 'heartbeat' | 'rateLimit' | 'maxTopicsPerMessage'>;

/**
 * Everything the stream sends: encoded application messages, the bounded queue for messages sent
 * while not live, the subscribe/unsubscribe hooks' messages (at most `maxTopicsPerMessage` topics
 * a call), heartbeat pings and, when counted, pongs. With `rateLimit` every frame passes one
 * {@link Pacer} per socket: excess waits in order and is never dropped.
 */
export class Outbound<Out> {
  readonly #options: OutboundOptions<Out>;
  readonly #host: OutboundHost;
  /** Created on the first frame sent while not live: most streams never queue one. */
  #queue: SendQueue<Frame> | undefined;
  #sent = 0;
  /** One pacer per socket, only with `rateLimit` (the maps are created on first use). */
  #pacers: WeakMap<Transport, Pacer<Frame | Control>> | undefined;
  #waitingPongs: WeakMap<Transport, Control> | undefined;

  constructor(options: OutboundOptions<Out>, host: OutboundHost) {
    this.#options = options;
    this.#host = host;
  }

  /** Counters for health(). */
  counts(): { messagesSent: number; queued: number; dropped: number } {
    return { messagesSent: this.#sent, queued: this.#queue?.size ?? 0, dropped: this.#queue?.dropped ?? 0 };
  }

  /**
   * Encodes `message` now, in every state, so a message that cannot be encoded is refused at once;
   * then writes the frame on `transport`, or queues it for the next open when there is none.
   * False (with an `error` for encode and socket failures) when it was not accepted.
   */
  send(message: Out, transport: Transport | undefined): boolean {
    const frame = this.#encode(message);
    if (frame === undefined) return false;
    if (transport !== undefined) return this.#out(transport, frame, true);
    return this.#enqueue(frame, this.#options.clock.now());
  }

  /** Holds a frame for the next open; false when there is no send queue. */
  #enqueue(frame: Frame, now: number): boolean {
    const policy = this.#options.sendQueue;
    if (policy === false) return false;
    (this.#queue ??= new SendQueue<Frame>(policy)).push(frame, now);
    return true;
  }

  /** The socket is gone: its pacer stops, and user frames still waiting go back to the send queue. */
  release(transport: Transport | undefined): void {
    if (transport === undefined || this.#pacers === undefined) return;
    const pacer = this.#pacers.get(transport);
    if (pacer === undefined) return;
    this.#pacers.delete(transport);
    const now = this.#options.clock.now();
    for (const { frame, isUser } of pacer.stop()) if (isUser && !(frame instanceof Control)) this.#enqueue(frame, now);
  }

  /**
   * Answers a protocol ping ourselves (only when `rateLimit.countControlFrames`: ws's auto-pong is
   * off then). A pong still waiting for a token just takes the newer payload: RFC 6455 (5.5.3) lets
   * an endpoint answer only the most recent ping, so a fast pinger cannot grow the queue.
   */
  pong(transport: Transport, data: Uint8Array): void {
    const waitingPongs = (this.#waitingPongs ??= new WeakMap());
    const waiting = waitingPongs.get(transport);
    if (waiting !== undefined) {
      waiting.pong = data;
      return;
    }
    const control = new Control(data);
    waitingPongs.set(transport, control);
    this.#out(transport, control, false);
  }

  /** Writes now, or through the socket's pacer when rate-limited. */
  #out(transport: Transport, frame: Frame | Control, isUser: boolean): boolean {
    const limit = this.#options.rateLimit;
    if (limit === false || (frame instanceof Control && !limit.countControlFrames)) return this.#write(transport, frame);
    const pacers = (this.#pacers ??= new WeakMap());
    let pacer = pacers.get(transport);
    if (pacer === undefined) {
      // Here before the first dial whenever `rateLimit` is set (the stream loads it).
      pacer = new parts.Pacer!<Frame | Control>(limit, this.#options.clock, (paced) => this.#write(transport, paced));
      pacers.set(transport, pacer);
    }
    pacer.submit(frame, isUser);
    return true;
  }

  /** Sends every queued, unexpired frame in order. */
  flush(transport: Transport): void {
    if (this.#queue === undefined || this.#queue.size === 0) return;
    for (const frame of this.#queue.drain(this.#options.clock.now())) this.#out(transport, frame, true);
  }

  /**
   * Sends a heartbeat ping: the `heartbeat.ping()` message if given, else a protocol ping frame
   * where the platform has one (Node's ws). False when this socket cannot be asked at all.
   */
  ping(transport: Transport | undefined): boolean {
    const heartbeat = this.#options.heartbeat;
    if (transport === undefined || heartbeat === false) return false;
    if (heartbeat.ping === undefined) {
      if (!transport.canPing) return false;
      this.#out(transport, PING, false);
      return true;
    }
    let message: Out;
    try {
      message = heartbeat.ping();
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_ENCODE', `heartbeat.ping threw: ${describe(cause)}`, { cause }));
      // A ping that could not be sent still arms the timeout: a socket that cannot be pinged is not proven alive.
      return true;
    }
    this.send(message, transport);
    return true;
  }

  #encode(message: Out): Frame | undefined {
    try {
      return this.#options.encode(message);
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_ENCODE', `Could not encode a message: ${describe(cause)}`, { cause }));
      return undefined;
    }
  }

  #write(transport: Transport, frame: Frame | Control): boolean {
    try {
      if (frame === PING) transport.ping();
      else if (frame instanceof Control) {
        this.#waitingPongs?.delete(transport);
        transport.pong(frame.pong!);
      }
      else transport.send(frame);
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_CONNECT_FAILED', `Could not send on the socket: ${describe(cause)}`, { cause }));
      return false;
    }
    this.#sent++;
    return true;
  }

  /** Forgets queued messages (close()). */
  clear(): void {
    this.#queue?.clear();
  }

  /**
   * Sends the subscribe hook's messages for `topics`, at most `maxTopicsPerMessage` a call, in
   * order; false if the socket was replaced or a call failed (then the socket is recycled).
   */
  async subscribe(topics: string[], target: SubscribeTarget, isOpening = false): Promise<boolean> {
    const hook = this.#options.subscribe;
    if (hook === undefined || (topics.length === 0 && !isOpening)) return target.isCurrent();
    for (const chunk of this.#chunks(topics)) {
      try {
        const messages = await hook({ topics: chunk, attempt: target.attempt, isReconnect: target.isReconnect });
        if (!target.isCurrent() || target.transport === undefined) return false;
        this.#writeAll(target.transport, messages);
      } catch (cause) {
        if (!target.isCurrent()) return false;
        const error = new ResilientStreamError('RS_SUBSCRIBE', `The subscribe hook failed for ${chunk.join(', ')}: ${describe(cause)}`, { cause });
        if (target.fail !== undefined) target.fail(error);
        else this.#host.recycle(error);
        return false;
      }
    }
    return true;
  }

  /** Sends the unsubscribe hook's messages for `topics`, in chunks; a failure is reported, nothing more. */
  unsubscribe(topics: string[], transport: Transport | undefined): void {
    const hook = this.#options.unsubscribe;
    if (hook === undefined || transport === undefined) return;
    for (const chunk of this.#chunks(topics)) {
      const failed = (cause: unknown): void => {
        this.#host.error(new ResilientStreamError('RS_SUBSCRIBE', `The unsubscribe hook failed for ${chunk.join(', ')}: ${describe(cause)}`, { cause }));
      };
      try {
        const messages = hook({ topics: chunk });
        // An async hook: its messages go out on the same socket if it is still open; a rejection is reported, never unhandled.
        if (isThenable(messages)) messages.then((resolved) => transport.isOpen && this.#writeAll(transport, resolved), failed);
        else this.#writeAll(transport, messages);
      } catch (cause) {
        failed(cause);
      }
    }
  }

  /** `topics` in runs of at most `maxTopicsPerMessage` (one empty run for an empty list). */
  #chunks(topics: string[]): string[][] {
    const size = this.#options.maxTopicsPerMessage;
    if (topics.length <= size) return [topics];
    const chunks: string[][] = [];
    for (let i = 0; i < topics.length; i += size) chunks.push(topics.slice(i, i + size));
    return chunks;
  }

  /** Hook messages: encoded and sent (or paced); never re-queued, since every open sends them afresh. */
  #writeAll(transport: Transport, messages: Out | Out[] | undefined): void {
    if (messages === undefined) return;
    for (const message of Array.isArray(messages) ? messages : [messages]) {
      const frame = this.#encode(message);
      if (frame !== undefined) this.#out(transport, frame, false);
    }
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
