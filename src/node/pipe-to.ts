import { backoffDelay, checkedRandom, type BackoffPolicy } from '../backoff.js';
import { systemClock } from '../clock.js';
import { MAX_DURATION_MS } from '../validate.js';
import type { Clock } from '../options.js';
import { check, checkFunction, checkOptions } from './check-options.js';
import { PIPE_TO_DEFAULTS, PipeRejectError, PipeWriteError, type PipeResult, type PipeSource, type PipeToOptions } from './pipe-options.js';
import type { ResilientStream } from '../resilient-stream.js';
import type { StreamPool } from '../stream-pool.js';
import { ndjsonFileSink } from './sinks/ndjson-file.js';
import type { Sink } from './sinks/sink.js';

/** What a write raced against the drain deadline loses to. */
const EXPIRED = Symbol('drain deadline');

/**
 * Pipes a stream's messages into a sink: in order, in batches, at least once. A failing sink is
 * retried with jittered backoff, each failure reported to `onError` (never thrown, never an
 * unhandled rejection). When `maxBufferedMessages` are held the stream is paused (it stops
 * reading its socket) and resumed once half of them are written, so memory stays bounded
 * whatever the sink does. When the stream closes or `signal` aborts, what is held is written,
 * then the promise resolves with the counts.
 *
 * @param sink - a {@link Sink}, or a file path for the built-in NDJSON sink (closed at the end).
 * @throws TypeError (synchronously) for a bad option, naming it.
 */
export function pipeTo<In>(stream: ResilientStream<In, unknown> | StreamPool<In, unknown>, sink: Sink<In> | string, options?: PipeToOptions<In>): Promise<PipeResult>;
export function pipeTo<In>(stream: PipeSource<In>, sink: Sink<In> | string, options?: PipeToOptions<In>): Promise<PipeResult>;
export function pipeTo<In>(stream: PipeSource<In>, sink: Sink<In> | string, options: PipeToOptions<In> = {}): Promise<PipeResult> {
  if (typeof sink !== 'string') return new Pipe<In>(stream, sink, options).done;
  const file = ndjsonFileSink<In>(sink);
  return new Pipe<In>(stream, file, options).done.then(async (result) => {
    await file.close().catch(() => undefined);
    return result;
  });
}

class Pipe<In> {
  readonly done: Promise<PipeResult>;
  readonly #stream: PipeSource<In>;
  readonly #sink: Sink<In>;
  readonly #options: PipeToOptions<In>;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #policy: BackoffPolicy;
  /** `options.random` with each draw checked; pipeTo has no channel for a misbehaving hook (onError gets write problems), so a bad draw is replaced quietly. */
  readonly #random: () => number;
  readonly #clock: Clock;
  #buffer: In[] = [];
  #counts = { received: 0, written: 0, rejected: 0, retried: 0, unwritten: 0, pauses: 0, maxBuffered: 0 };
  #isPaused = false;
  #isWriting = false;
  #isFlushDue = false;
  #flushTimer: unknown;
  #drainDeadline: number | undefined;
  /** Armed at the drain deadline: a write still pending then is abandoned (a hung sink must not hold the drain for ever). */
  #drainTimer: unknown;
  #expireDrain!: () => void;
  readonly #drainExpired = new Promise<typeof EXPIRED>((resolve) => (this.#expireDrain = () => resolve(EXPIRED)));
  #finish!: (result: PipeResult) => void;
  #isEnding = false;
  readonly #onMessage = (message: In): void => this.#accept(message);
  readonly #onState = (event: { readonly to: string }): void => {
    if (event.to === 'closed' && isClosed(this.#stream)) this.#end();
  };
  readonly #onAbort = (): void => this.#end();

  constructor(stream: PipeSource<In>, sink: Sink<In>, options: PipeToOptions<In>) {
    this.#stream = stream;
    this.#sink = sink;
    checkShape(options);
    this.#options = options;
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? PIPE_TO_DEFAULTS.batchSize);
    this.#flushIntervalMs = timerMs('flushIntervalMs', options.flushIntervalMs ?? PIPE_TO_DEFAULTS.flushIntervalMs);
    this.#maxBuffered = positiveInteger('maxBufferedMessages', options.maxBufferedMessages ?? PIPE_TO_DEFAULTS.maxBufferedMessages);
    const initialDelayMs = timerMs('retry.initialDelayMs', options.retry?.initialDelayMs ?? PIPE_TO_DEFAULTS.retry.initialDelayMs);
    const maxDelayMs = timerMs('retry.maxDelayMs', options.retry?.maxDelayMs ?? PIPE_TO_DEFAULTS.retry.maxDelayMs);
    nonNegative('drainTimeoutMs', options.drainTimeoutMs ?? 0);
    const canPause = typeof stream === 'object' && stream !== null && typeof stream.pause === 'function' && typeof stream.resume === 'function';
    check('stream', stream, canPause, 'a stream with pause() and resume() (a ResilientStream or a StreamPool)');
    check('sink', sink, typeof sink === 'object' && sink !== null && typeof sink.write === 'function', 'an object with a write(batch) method, or a file path');
    this.#random = checkedRandom(options.random ?? Math.random, () => {});
    this.#policy = { initialDelayMs, maxDelayMs: Math.max(initialDelayMs, maxDelayMs), factor: 2, jitter: 'full' };
    this.#clock = options.clock ?? systemClock;
    this.done = new Promise<PipeResult>((resolve) => (this.#finish = resolve));
    stream.on('message', this.#onMessage);
    stream.on('state', this.#onState);
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (isClosed(stream) || options.signal?.aborted === true) this.#end();
  }

  #accept(message: In): void {
    if (this.#isEnding) return;
    if (this.#options.filter !== undefined && !this.#options.filter(message)) return;
    this.#buffer.push(message);
    this.#counts.received++;
    const held = this.#buffer.length;
    if (held > this.#counts.maxBuffered) this.#counts.maxBuffered = held;
    if (held >= this.#maxBuffered && !this.#isPaused) {
      this.#isPaused = true;
      this.#counts.pauses++;
      this.#stream.pause();
    }
    if (held >= this.#batchSize) this.#kick();
    else this.#armFlush();
  }

  #armFlush(): void {
    if (this.#flushTimer !== undefined || this.#isWriting) return;
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.#isFlushDue = true;
      this.#kick();
    }, this.#flushIntervalMs);
  }

  #kick(): void {
    if (this.#isWriting) return;
    this.#isWriting = true;
    void this.#writeLoop();
  }

  /** The one writer: a batch at a time, in order, until nothing is due. */
  async #writeLoop(): Promise<void> {
    while (this.#buffer.length >= this.#batchSize || (this.#buffer.length > 0 && (this.#isFlushDue || this.#isEnding))) {
      const count = Math.min(this.#buffer.length, this.#batchSize);
      if (count < this.#batchSize) this.#isFlushDue = false;
      const written = await this.#writeWithRetry(count);
      if (written === undefined) {
        this.#counts.unwritten = this.#buffer.length;
        this.#buffer = [];
        break;
      }
      this.#buffer.splice(0, written);
      this.#counts.written += written;
      this.#maybeResume();
    }
    this.#isWriting = false;
    if (this.#isEnding) this.#complete();
    else if (this.#buffer.length > 0) this.#armFlush();
  }

  /**
   * Writes the first `count` held messages; resolves with how many were written (messages the sink
   * can never write are taken out of the buffer first), or undefined when the drain deadline ran
   * out. Each attempt gets its own copy: a sink that empties or changes the array it was given can
   * neither change what is retried nor what is taken off the buffer.
   */
  async #writeWithRetry(count: number): Promise<number | undefined> {
    let attempt = 0;
    while (count > 0) {
      try {
        const written = Promise.resolve(this.#sink.write(this.#buffer.slice(0, count)));
        return (await Promise.race([written, this.#drainExpired])) === EXPIRED ? undefined : count;
      } catch (cause) {
        const unwritable = unwritableOf(cause, count);
        if (unwritable !== undefined) {
          // Not a failure of the store: write the rest now, with no delay and no retry counted.
          count = this.#reject(count, unwritable);
          continue;
        }
        attempt++;
        const left = this.#drainDeadline === undefined ? Infinity : this.#drainDeadline - this.#clock.now();
        if (left <= 0) return undefined;
        const delayMs = Math.min(left, backoffDelay(attempt, this.#policy, this.#random));
        this.#counts.retried++;
        this.#report(new PipeWriteError(cause, attempt, count, delayMs));
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, delayMs));
      }
    }
    return 0; // every message of the batch was unwritable
  }

  /** Takes the messages the sink can never write out of the first `count` held, reports each; the count left. */
  #reject(count: number, unwritable: ReadonlyMap<number, unknown>): number {
    const head = this.#buffer.slice(0, count);
    this.#buffer = head.filter((_, index) => !unwritable.has(index)).concat(this.#buffer.slice(count));
    this.#counts.rejected += unwritable.size;
    head.forEach((message, index) => {
      if (unwritable.has(index)) this.#report(new PipeRejectError(message, unwritable.get(index)));
    });
    return count - unwritable.size;
  }

  #report(error: PipeWriteError | PipeRejectError<In>): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A throwing error handler must not stop the pipe.
    }
  }

  #maybeResume(): void {
    if (!this.#isPaused || this.#buffer.length > this.#maxBuffered / 2) return;
    this.#isPaused = false;
    if (!this.#isEnding) this.#stream.resume();
  }

  /** The stream closed or the signal aborted: take nothing more, write what is held. */
  #end(): void {
    if (this.#isEnding) return;
    this.#isEnding = true;
    const { drainTimeoutMs } = this.#options;
    if (drainTimeoutMs !== undefined && Number.isFinite(drainTimeoutMs)) {
      this.#drainDeadline = this.#clock.now() + drainTimeoutMs;
      this.#drainTimer = this.#clock.setTimeout(this.#expireDrain, Math.min(drainTimeoutMs, MAX_DURATION_MS));
    }
    this.#stream.off('message', this.#onMessage);
    this.#stream.off('state', this.#onState);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    if (this.#flushTimer !== undefined) this.#clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    // Leave a stream that goes on (abort) flowing, as it was before the pipe.
    if (this.#isPaused && this.#stream.state !== 'closed') this.#stream.resume();
    this.#isPaused = false;
    if (!this.#isWriting) this.#kick();
  }

  #complete(): void {
    if (this.#drainTimer !== undefined) this.#clock.clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#finish({ ...this.#counts });
  }
}

/**
 * The positions (below `count`) and causes a sink's `UnwritableMessagesError` names, or undefined
 * for any other error, or one that names none of the batch: that one is retried with backoff like
 * an I/O failure, never rewritten in a busy loop. Read by `code`, not `instanceof`, so the error
 * of a sink that loaded the package's other build (CommonJS or ESM) or builds its own is known too.
 */
function unwritableOf(error: unknown, count: number): Map<number, unknown> | undefined {
  const found = new Map<number, unknown>();
  try {
    if (typeof error !== 'object' || error === null || !('code' in error) || error.code !== 'RS_SINK_UNWRITABLE' || !('unwritable' in error)) return undefined;
    const list: unknown = error.unwritable;
    const items: readonly unknown[] = Array.isArray(list) ? list : [];
    for (const item of items) {
      if (typeof item !== 'object' || item === null || !('index' in item)) continue;
      const index: unknown = item.index;
      if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < count && !found.has(index)) found.set(index, 'cause' in item ? item.cause : undefined);
    }
  } catch {
    // A hostile getter or Proxy: an ordinary failure.
    return undefined;
  }
  return found.size > 0 ? found : undefined;
}

function positiveInteger(field: string, value: number): number {
  check(field, value, Number.isInteger(value) && value > 0, 'an integer > 0');
  return value;
}

/** A delay a timer can be armed with: Node fires a longer one at once, which would turn a retry wait into a 1 ms loop. */
function timerMs(field: string, value: number): number {
  check(field, value, typeof value === 'number' && value >= 0 && value <= MAX_DURATION_MS, `a number of ms from 0 to ${MAX_DURATION_MS}`);
  return value;
}

const KNOWN_OPTIONS: readonly string[] = ['batchSize', 'flushIntervalMs', 'maxBufferedMessages', 'filter', 'retry', 'onError', 'signal', 'drainTimeoutMs', 'clock', 'random'];
const KNOWN_RETRY_OPTIONS: readonly string[] = ['initialDelayMs', 'maxDelayMs'];

/** The options object, its keys (a misspelt one would be ignored silently), its functions and its signal. */
function checkShape<In>(options: PipeToOptions<In>): void {
  checkOptions('options', options, KNOWN_OPTIONS);
  const { retry, signal, clock } = options;
  if (retry !== undefined) checkOptions('retry', retry, KNOWN_RETRY_OPTIONS, 'retry.');
  for (const field of ['filter', 'onError', 'random'] as const) checkFunction(field, options[field]);
  check('signal', signal, signal === undefined || signal instanceof AbortSignal, 'an AbortSignal');
  const isClock = clock === undefined || (typeof clock === 'object' && clock !== null && typeof clock.now === 'function' && typeof clock.setTimeout === 'function' && typeof clock.clearTimeout === 'function');
  check('clock', clock, isClock, 'an object with now(), setTimeout() and clearTimeout()');
}

function nonNegative(field: string, value: number): number {
  check(field, value, typeof value === 'number' && !Number.isNaN(value) && value >= 0, 'a number >= 0');
  return value;
}

/**
 * The source's own state, not the event's (a pool forwards each member's events); for a pool,
 * every member closed too, so messages a member delivers while closing are still taken.
 */
function isClosed(source: PipeSource<unknown>): boolean {
  return source.state === 'closed' && (source.streams ?? []).every((member) => member.state === 'closed');
}
