import { ResilientStreamError } from './errors.js';
import { Fifo } from './fifo.js';

/**
 * One consumer's view of the message stream as an async iterator. Messages wait in a bounded FIFO
 * while the consumer is busy; a consumer that falls `capacity` messages behind gets an
 * RS_ITERATOR_OVERFLOW error from `next()` instead of silently missing messages.
 */
export class MessageIterator<T> implements AsyncIterableIterator<T> {
  readonly #capacity: number;
  readonly #onReturn: (iterator: MessageIterator<T>) => void;
  readonly #buffer = new Fifo<T>();
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #failWaiting: ((error: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;

  constructor(capacity: number, onReturn: (iterator: MessageIterator<T>) => void) {
    this.#capacity = capacity;
    this.#onReturn = onReturn;
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
    if (this.#buffer.size >= this.#capacity) {
      this.end(new ResilientStreamError('RS_ITERATOR_OVERFLOW',
        `Expected the async iterator to keep up, but it fell ${this.#capacity} messages behind (iteratorBufferSize).`));
      return;
    }
    this.#buffer.push(message);
  }

  /** Ends the iteration after the buffered messages; with `error`, next() rejects once they are consumed. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (this.#waiting === undefined) return;
    const resolve = this.#waiting;
    const reject = this.#failWaiting!;
    this.#waiting = this.#failWaiting = undefined;
    if (error === undefined) resolve({ value: undefined, done: true });
    else reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.size > 0) return Promise.resolve({ value: this.#buffer.shift() as T, done: false });
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
    this.#onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
