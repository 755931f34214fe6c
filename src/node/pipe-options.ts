import type { Clock } from '../options.js';

/**
 * What `pipeTo` needs from a stream: a `ResilientStream`, a `StreamPool`, or anything with the
 * same shape. `pause()` must stop the flow of `message` events soon (a paused `ResilientStream`
 * stops reading its socket), `resume()` must restart it.
 */
export interface PipeSource<In> {
  readonly state: string;
  on(event: 'message', listener: (message: In) => void): unknown;
  on(event: 'state', listener: (event: { readonly to: string }) => void): unknown;
  off(event: 'message', listener: (message: In) => void): unknown;
  off(event: 'state', listener: (event: { readonly to: string }) => void): unknown;
  pause(): void;
  resume(): void;
  /** A pool's members: the pipe ends only once every one of them is closed too. */
  readonly streams?: readonly { readonly state: string }[];
}

/** Delays between retries of a failed write (full jitter, see docs/options.md). */
export interface PipeRetryOptions {
  /** Cap of the first retry delay, in ms. @default 100 */
  readonly initialDelayMs?: number;
  /** Largest retry delay, in ms. @default 5_000 */
  readonly maxDelayMs?: number;
}

/** Options of `pipeTo`. */
export interface PipeToOptions<In> {
  /** Most messages per `sink.write()` call. @default 500 */
  readonly batchSize?: number;
  /** A partial batch is written once this long has passed without a full one, in ms. @default 200 */
  readonly flushIntervalMs?: number;
  /** Messages held before the stream is paused; it resumes once half of them are written. @default 10_000 */
  readonly maxBufferedMessages?: number;
  /** Only messages for which this returns true are piped (data, not acks or heartbeats). @default every message */
  readonly filter?: (message: In) => boolean;
  /** Delays between retries of a failed write. @default {initialDelayMs: 100, maxDelayMs: 5_000} */
  readonly retry?: PipeRetryOptions;
  /**
   * Told about every failed write before it is retried (`PipeWriteError`, code `RS_SINK_WRITE`)
   * and about every message the sink can never write, which is left out (`PipeRejectError`, code
   * `RS_SINK_REJECTED`); a throw here is ignored. @default none
   */
  readonly onError?: (error: PipeWriteError | PipeRejectError<In>) => void;
  /** Aborting it stops piping: what is held is written, then the promise resolves. @default none */
  readonly signal?: AbortSignal;
  /** Once draining, stop retrying a failing sink (or waiting for a write that never settles) after this long and count the rest as `unwritten`, in ms. @default Infinity */
  readonly drainTimeoutMs?: number;
  /** Timers (test seam). @default the platform's timers */
  readonly clock?: Clock;
  /** Uniform random in [0, 1) for the retry jitter (test seam). @default Math.random */
  readonly random?: () => number;
}

/** What `pipeTo` resolves with: `received` = `written` + `rejected` + `unwritten`. */
export interface PipeResult {
  /** Messages taken from the stream (after `filter`). */
  readonly received: number;
  /** Messages the sink confirmed. */
  readonly written: number;
  /**
   * Messages the sink can never write (it threw `UnwritableMessagesError` naming them: they cannot
   * be encoded or give no valid id): left out of their batch, each given to `onError` as a
   * `PipeRejectError`, never retried.
   */
  readonly rejected: number;
  /** Failed writes that were retried (each one was reported to `onError`). */
  readonly retried: number;
  /** Messages given up when `drainTimeoutMs` ran out; 0 otherwise. */
  readonly unwritten: number;
  /** Times the stream was paused because the buffer was full. */
  readonly pauses: number;
  /** The most messages held at once: the memory bound actually reached. */
  readonly maxBuffered: number;
}

/** A failed `sink.write()`, given to `onError`; the batch is retried after `retryInMs`. */
export class PipeWriteError extends Error {
  override readonly name = 'PipeWriteError';
  /** Stable code for logs and alerts. */
  readonly code = 'RS_SINK_WRITE';
  /** 1 for the first failure of this batch, then 2, 3, … */
  readonly attempt: number;
  /** Messages in the failed batch. */
  readonly batchSize: number;
  /** Delay before the next try, in ms. */
  readonly retryInMs: number;

  constructor(cause: unknown, attempt: number, batchSize: number, retryInMs: number) {
    super(`Sink write of ${batchSize} message(s) failed (attempt ${attempt}): ${describe(cause)}; retrying in ${Math.round(retryInMs)} ms.`, { cause });
    this.attempt = attempt;
    this.batchSize = batchSize;
    this.retryInMs = retryInMs;
  }
}

/**
 * A message the sink can never write (it named it in an `UnwritableMessagesError`), given to
 * `onError`: it is left out of its batch and never retried, and the rest of the batch is written.
 */
export class PipeRejectError<In = unknown> extends Error {
  override readonly name = 'PipeRejectError';
  /** Stable code for logs and alerts. */
  readonly code = 'RS_SINK_REJECTED';
  /** The message, as the stream gave it (for a dead-letter store). */
  readonly rejectedMessage: In;

  constructor(rejectedMessage: In, cause: unknown) {
    super(`The sink cannot write a message, so it is left out (never retried): ${describe(cause).replace(/\.$/, '')}.`, { cause });
    this.rejectedMessage = rejectedMessage;
  }
}

/** The defaults of {@link PipeToOptions} (docs/node-workers.md lists them; a test keeps the two in step). */
export const PIPE_TO_DEFAULTS = Object.freeze({
  batchSize: 500,
  flushIntervalMs: 200,
  maxBufferedMessages: 10_000,
  retry: Object.freeze({ initialDelayMs: 100, maxDelayMs: 5_000 }),
  drainTimeoutMs: Number.POSITIVE_INFINITY,
});

/** Describes a thrown value without ever throwing itself. */
function describe(value: unknown): string {
  try {
    return value instanceof Error ? value.message : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
