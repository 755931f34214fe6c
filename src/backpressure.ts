import type { ResilientStreamError } from './errors.js';
import { MessageIterator, type IteratorHost } from './message-iterator.js';

/** What backpressure tells its stream. */
export interface PauseHost {
  /** The first hold (true) or the last release (false). */
  paused(isPaused: boolean): void;
}

/**
 * The readers that can push back on a stream: `pause()` and async iterators. The stream is paused
 * while anyone holds a pause (the user, or an iterator whose buffer is full); the host hears the
 * first hold and the last release. Iterators are created lazily: most streams have none.
 */
/** The holder of a pause the user asked for. */
const USER = Object.freeze({});

export class Backpressure<In> implements IteratorHost<In> {
  readonly #capacity: number;
  readonly #overflow: 'pause' | 'error';
  readonly #host: PauseHost;
  #iterators: Set<MessageIterator<In>> | undefined;
  #holders: Set<object> | undefined;

  constructor(options: { readonly iteratorBufferSize: number; readonly iteratorOverflow: 'pause' | 'error' }, host: PauseHost) {
    this.#capacity = options.iteratorBufferSize;
    this.#overflow = options.iteratorOverflow;
    this.#host = host;
  }

  get isPaused(): boolean {
    return this.#holders !== undefined && this.#holders.size > 0;
  }

  /** The user's own pause()/resume(): one holder among the iterators'. */
  holdForUser(isPausing: boolean): void {
    this.hold(USER, isPausing);
  }

  /** Adds or removes one reason to be paused. */
  hold(holder: object, isPausing: boolean): void {
    const holders = (this.#holders ??= new Set());
    const wasPaused = holders.size > 0;
    if (isPausing) holders.add(holder);
    else holders.delete(holder);
    if (wasPaused !== holders.size > 0) this.#host.paused(!wasPaused);
  }

  /** A new async iterator; one that starts `ended` yields nothing. */
  iterator(isEnded: boolean): MessageIterator<In> {
    const iterator = new MessageIterator<In>(this.#capacity, this.#overflow, this);
    if (isEnded) iterator.end();
    else (this.#iterators ??= new Set()).add(iterator);
    return iterator;
  }

  /** Hands a message to every iterator. */
  push(message: In): void {
    // Per message: the loop is out of line so this inlines (most streams have no iterator).
    if (this.#iterators !== undefined) pushAll(this.#iterators, message);
  }

  /** Ends every iterator after what it buffered; with `error`, their next() rejects then. */
  end(error?: ResilientStreamError): void {
    if (this.#iterators === undefined) return;
    const iterators = this.#iterators;
    this.#iterators = undefined;
    for (const iterator of iterators) iterator.end(error);
  }

  full(iterator: MessageIterator<In>): void {
    this.hold(iterator, true);
  }

  drained(iterator: MessageIterator<In>): void {
    this.hold(iterator, false);
  }

  returned(iterator: MessageIterator<In>): void {
    this.#iterators?.delete(iterator);
  }
}

function pushAll<In>(iterators: Set<MessageIterator<In>>, message: In): void {
  for (const iterator of iterators) iterator.push(message);
}
