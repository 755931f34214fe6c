import { describe, ResilientStreamError } from './errors.js';
import type { LivenessMonitor } from './liveness.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { Resyncer } from './resyncer.js';

/** What the inbound pipeline asks of the stream. */
export interface InboundHost {
  error(error: ResilientStreamError): void;
  /** Report the error and replace the socket with the given close code. */
  recycle(error: ResilientStreamError, code: number): void;
}

type InboundOptions<In> = Pick<ResolvedOptions<In, unknown>, 'decode' | 'heartbeat' | 'isData' | 'topicOf' | 'maxMessageBytes'>;

/**
 * The per-message path, the product's hot path: size check, decode, pong filter, liveness
 * counters, topic routing, then the resyncer (sequence checks, hold-back) and delivery. No timer
 * work, no clock read and no allocation beyond decoding.
 */
export class Inbound<In> {
  /** Messages decoded (pongs excluded). */
  received = 0;
  readonly #options: InboundOptions<In>;
  readonly #liveness: LivenessMonitor;
  readonly #resyncer: Resyncer<In>;
  readonly #host: InboundHost;
  readonly #isPong: ((message: In) => boolean) | undefined;

  constructor(options: InboundOptions<In>, liveness: LivenessMonitor, resyncer: Resyncer<In>, host: InboundHost) {
    this.#options = options;
    this.#liveness = liveness;
    this.#resyncer = resyncer;
    this.#host = host;
    this.#isPong = options.heartbeat === false ? undefined : options.heartbeat.isPong;
  }

  /** One frame from the current socket. An arrow property so the socket calls it with no extra hop. */
  readonly receive = (data: string | Uint8Array, byteLength: number): void => {
    const options = this.#options;
    const liveness = this.#liveness;
    liveness.frames++;
    if (byteLength > options.maxMessageBytes) return this.#tooLarge(byteLength);
    let message: In;
    try {
      message = options.decode(data);
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_DECODE', `Could not decode a ${byteLength}-byte message: ${describe(cause)}`, { cause }));
      return;
    }
    if (this.#isPong !== undefined && this.#guard('heartbeat.isPong', this.#isPong, message) === true) return;
    if (options.isData === undefined || this.#guard('isData', options.isData, message) === true) liveness.recordData();
    let topic: string | undefined;
    if (options.topicOf !== undefined) {
      topic = this.#guard('topicOf', options.topicOf, message);
      if (topic !== undefined) liveness.recordTopic(topic);
    }
    this.received++;
    this.#resyncer.accept(message, topic);
  };

  /** Calls a user function on a message; a throw is reported and treated as `undefined`. */
  #guard<R>(name: string, fn: (message: In) => R, message: In): R | undefined {
    try {
      return fn(message);
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_LISTENER', `${name} threw: ${describe(cause)}`, { cause, event: name }));
      return undefined;
    }
  }

  #tooLarge(byteLength: number): void {
    const message = `Expected messages of at most ${this.#options.maxMessageBytes} bytes (maxMessageBytes), got ${byteLength}; recycling the socket.`;
    this.#host.recycle(new ResilientStreamError('RS_MESSAGE_TOO_LARGE', message), 1009);
  }
}
