import { describe, ResilientStreamError } from './errors.js';
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
}

/** An encoded outbound frame. */
type Frame = string | ArrayBufferLike | ArrayBufferView;

type OutboundOptions<Out> = Pick<ResolvedOptions<never, Out>, 'encode' | 'sendQueue' | 'subscribe' | 'unsubscribe' | 'clock' | 'heartbeat'>;

/**
 * Everything the stream sends: encoded application messages, the bounded queue for messages sent
 * while not open, and the subscribe/unsubscribe hooks' messages.
 */
export class Outbound<Out> {
  readonly #options: OutboundOptions<Out>;
  readonly #host: OutboundHost;
  readonly #queue: SendQueue<Frame> | undefined;
  #sent = 0;

  constructor(options: OutboundOptions<Out>, host: OutboundHost) {
    this.#options = options;
    this.#host = host;
    this.#queue = options.sendQueue === false ? undefined : new SendQueue<Frame>(options.sendQueue);
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
    if (transport !== undefined) return this.#write(transport, frame);
    if (this.#queue === undefined) return false;
    this.#queue.push(frame, this.#options.clock.now());
    return true;
  }

  /** Sends every queued, unexpired frame in order. */
  flush(transport: Transport): void {
    if (this.#queue === undefined || this.#queue.size === 0) return;
    for (const frame of this.#queue.drain(this.#options.clock.now())) this.#write(transport, frame);
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
      transport.ping();
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

  #write(transport: Transport, frame: Frame): boolean {
    try {
      transport.send(frame);
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

  /** Sends the subscribe hook's messages for `topics`; false if the socket was replaced or the hook failed. */
  async subscribe(topics: string[], target: SubscribeTarget, isOpening = false): Promise<boolean> {
    const hook = this.#options.subscribe;
    if (hook === undefined || (topics.length === 0 && !isOpening)) return target.isCurrent();
    try {
      const messages = await hook({ topics, attempt: target.attempt, isReconnect: target.isReconnect });
      if (!target.isCurrent() || target.transport === undefined) return false;
      this.#writeAll(target.transport, messages);
      return true;
    } catch (cause) {
      if (!target.isCurrent()) return false;
      this.#host.recycle(new ResilientStreamError('RS_SUBSCRIBE', `The subscribe hook failed for ${topics.join(', ')}: ${describe(cause)}`, { cause }));
      return false;
    }
  }

  /** Sends the unsubscribe hook's messages for `topics`; a failure is reported, nothing more. */
  unsubscribe(topics: string[], transport: Transport | undefined): void {
    const hook = this.#options.unsubscribe;
    if (hook === undefined || transport === undefined) return;
    try {
      this.#writeAll(transport, hook({ topics }));
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_SUBSCRIBE', `The unsubscribe hook failed for ${topics.join(', ')}: ${describe(cause)}`, { cause }));
    }
  }

  #writeAll(transport: Transport, messages: Out | Out[] | undefined): void {
    if (messages === undefined) return;
    if (Array.isArray(messages)) for (const message of messages) this.send(message, transport);
    else this.send(messages, transport);
  }
}
