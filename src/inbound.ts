import { describe, ResilientStreamError } from './errors.js';
import type { LivenessMonitor } from './liveness.js';
import type { ResolvedOptions } from './resolve-options.js';

/** What the inbound pipeline asks of the stream. */
export interface InboundHost {
  error(error: ResilientStreamError): void;
  /** Report the error and replace the socket with the given close code. */
  recycle(error: ResilientStreamError, code: number): void;
}

type InboundOptions<In> = Pick<ResolvedOptions<In, unknown>, 'decode' | 'heartbeat' | 'isData' | 'topicOf' | 'maxMessageBytes'>;

/** Where decoded messages go: the resyncer when sequences or resyncs are used, else straight to listeners. */
export interface MessageSink<In> {
  /** `isData`: whether the message passed `isData` (true without it), for `data` listeners. */
  deliver(message: In, topic: string | undefined, isData: boolean): void;
}

/**
 * The per-message path, the product's hot path: size check, decode, pong filter, liveness
 * counters, topic routing, then the sink (the resyncer's checks, or delivery). No timer work, no
 * clock read and no allocation beyond decoding.
 */
export class Inbound<In> {
  /** Messages decoded (pongs excluded). */
  received = 0;
  // The options the hot path reads, copied into own fields: one load each per message.
  readonly #maxMessageBytes: number;
  readonly #decode: (data: string | Uint8Array) => In;
  readonly #isPong: ((message: In) => boolean) | undefined;
  readonly #isData: ((message: In) => boolean) | undefined;
  readonly #topicOf: ((message: In) => string | undefined) | undefined;
  /** Whether any of the three above is set. */
  readonly #isHooked: boolean;
  readonly #liveness: LivenessMonitor;
  /** Set again when the resyncer arrives (the browser build loads it after construction). */
  sink: MessageSink<In>;
  readonly #host: InboundHost;

  constructor(options: InboundOptions<In>, liveness: LivenessMonitor, sink: MessageSink<In>, host: InboundHost) {
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#decode = options.decode;
    this.#isPong = options.heartbeat === false ? undefined : options.heartbeat.isPong;
    this.#isData = options.isData;
    this.#topicOf = options.topicOf;
    this.#isHooked = this.#isPong !== undefined || this.#isData !== undefined || this.#topicOf !== undefined;
    this.#liveness = liveness;
    this.sink = sink;
    this.#host = host;
  }

  /** One frame from the current socket. */
  receive(data: string | Uint8Array, byteLength: number): void {
    const liveness = this.#liveness;
    liveness.frames++;
    if (byteLength > this.#maxMessageBytes) return this.#tooLarge(byteLength);
    let message: In;
    try {
      message = this.#decode(data);
    } catch (cause) {
      return this.#undecodable(cause, byteLength);
    }
    if (this.#isHooked) return this.#route(message);
    liveness.recordData();
    this.received++;
    this.sink.deliver(message, undefined, true);
  }

  /** The rest of {@link receive} when `heartbeat.isPong`, `isData` or `topicOf` is set: out of line, so the plain path stays small. */
  #route(message: In): void {
    const liveness = this.#liveness;
    if (this.#isPong !== undefined && this.#guard('heartbeat.isPong', this.#isPong, message) === true) return;
    const isData = this.#isData === undefined || this.#guard('isData', this.#isData, message) === true;
    if (isData) liveness.recordData();
    let topic: string | undefined;
    if (this.#topicOf !== undefined) {
      topic = this.#guard('topicOf', this.#topicOf, message);
      if (topic !== undefined) liveness.recordTopic(topic);
    }
    this.received++;
    this.sink.deliver(message, topic, isData);
  }

  /** Calls a user function on a message; a throw is reported and treated as `undefined`. */
  #guard<R>(name: string, fn: (message: In) => R, message: In): R | undefined {
    try {
      return fn(message);
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_LISTENER', `${name} threw: ${describe(cause)}`, { cause, event: name }));
      return undefined;
    }
  }

  // The failures are out of line: building their messages would make `receive` too large to inline.
  #undecodable(cause: unknown, byteLength: number): void {
    this.#host.error(new ResilientStreamError('RS_DECODE', `Could not decode a ${byteLength}-byte message: ${describe(cause)}`, { cause }));
  }

  #tooLarge(byteLength: number): void {
    const message = `Expected messages of at most ${this.#maxMessageBytes} bytes (maxMessageBytes), got ${byteLength}; recycling the socket.`;
    this.#host.recycle(new ResilientStreamError('RS_MESSAGE_TOO_LARGE', message), 1009);
  }
}
