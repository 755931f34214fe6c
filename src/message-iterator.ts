import { ResilientStreamError } from './errors.js';
import { Fifo } from './fifo.js';

/** What an iterator asks of its stream. */
export interface IteratorHost<T> {
  /** The iterator's buffer is full (`pause` mode): stop reading the socket until `drained`. */
  full(iterator: MessageIterator<T>): void;
  /** The buffer is back under half its capacity, or the iterator ended: reading may go on. */
  drained(iterator: MessageIterator<T>): void;
  /** The consumer stopped iterating (`break`, `return()`). */
  returned(iterator: MessageIterator<T>): void;
}

/**
 * One consumer's view of the message stream as an async iterator. Messages wait in a FIFO while
 * the consumer is busy. When `capacity` messages wait, `pause` mode pauses the stream (nothing is
 * lost: the few messages already read keep arriving) until the consumer has caught up to half;
 * `error` mode ends with RS_ITERATOR_OVERFLOW from `next()` instead of silently missing messages.
 */
export class MessageIterator<T> implements AsyncIterableIterator<T> {
  readonly #capacity: number;
  readonly #mode: 'pause' | 'error';
  readonly #host: IteratorHost<T>;
  #isHolding = false;
  readonly #buffer = new Fifo<T>();
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #failWaiting: ((error: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;

  constructor(capacity: number, mode: 'pause' | 'error', host: IteratorHost<T>) {
    this.#capacity = capacity;
    this.#mode = mode;
    this.#host = host;
  }

  /** Hands one message to the consumer (or its buffer). */
  push(message: T): void {
    if (this.#ended) return;
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting;
      this.#waiting = this.#failWaiting = undefined;
      resolve({ value: message, done: false });
      return;
    }
    if (this.#buffer.size >= this.#capacity && this.#mode === 'error') {
      this.end(new ResilientStreamError('RS_ITERATOR_OVERFLOW',
        `Expected the async iterator to keep up, but it fell ${this.#capacity} messages behind (iteratorBufferSize).`));
      return;
    }
    this.#buffer.push(message);
    if (this.#buffer.size >= this.#capacity && !this.#isHolding) {
      this.#isHolding = true;
      this.#host.full(this);
    }
  }

  #release(): void {
    if (!this.#isHolding) return;
    this.#isHolding = false;
    this.#host.drained(this);
  }

  /** Ends the iteration after the buffered messages; with `error`, next() rejects once they are consumed. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#release();
    if (this.#waiting === undefined) return;
    const resolve = this.#waiting;
    const reject = this.#failWaiting!;
    this.#waiting = this.#failWaiting = undefined;
    if (error === undefined) resolve({ value: undefined, done: true });
    else reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.size > 0) {
      const value = this.#buffer.shift() as T;
      if (this.#buffer.size <= this.#capacity / 2) this.#release();
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      const error = this.#error;
      this.#error = undefined;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#buffer.clear();
    this.end();
    this.#release();
    this.#host.returned(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
