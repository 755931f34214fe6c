import { describe } from '../../errors.js';

/**
 * Where `pipeTo` writes. Implement it for your own store: a database, a queue, a file.
 *
 * `pipeTo` calls `write` with one batch at a time, never two at once, in the order the messages
 * arrived, and calls it again with the same batch when it rejects (at-least-once). A sink that
 * can tell a message it already wrote (an id, a sequence) makes the pipe effectively once.
 *
 * A message that can never be written (it cannot be encoded, it gives no valid id) must not be
 * retried for ever: throw {@link UnwritableMessagesError} naming it, before writing anything of
 * the batch, and `pipeTo` leaves it out, reports it and writes the rest.
 */
export interface Sink<In = unknown> {
  /** Writes a batch, in order; rejects when any of it may not have been written. */
  write(batch: readonly In[]): Promise<void>;
  /** Flushes and releases what the sink holds (file handles, connections). Idempotent. */
  close?(): Promise<void>;
}

/** One message of a batch that a sink can never write, and why. */
export interface UnwritableMessage {
  /** Its position in the batch given to `write()`. */
  readonly index: number;
  /** Why it cannot be written: what the encoder or the id function threw, or what it gave. */
  readonly cause: unknown;
}

/** How many causes the error message spells out; the rest are in `unwritable`. */
const CAUSES_SHOWN = 3;

/**
 * Thrown by `Sink.write()`, before anything of the batch is written, when some of its messages
 * can never be written, as opposed to an I/O failure, which may pass. `pipeTo` does not retry
 * them: it leaves them out, counts them in `rejected`, gives each to `onError` as a
 * `PipeRejectError`, and writes the rest of the batch. `pipeTo` recognises it by `code` and
 * `unwritable`, so a sink can also throw a plain error with those two properties.
 */
export class UnwritableMessagesError extends Error {
  override readonly name = 'UnwritableMessagesError';
  /** Stable code for logs and alerts. */
  readonly code = 'RS_SINK_UNWRITABLE';
  /** The messages that cannot be written, by their position in the batch. */
  readonly unwritable: readonly UnwritableMessage[];

  constructor(unwritable: readonly UnwritableMessage[], batchSize?: number) {
    const shown = unwritable.slice(0, CAUSES_SHOWN).map(({ index, cause }) => `#${index} ${describe(cause).replace(/\.$/, '')}`);
    if (unwritable.length > CAUSES_SHOWN) shown.push(`and ${unwritable.length - CAUSES_SHOWN} more`);
    const of = batchSize === undefined ? '' : ` of ${batchSize}`;
    super(`${unwritable.length}${of} message(s) of the batch cannot be written, so none of it was: ${shown.join('; ')}.`);
    this.unwritable = Object.freeze([...unwritable]);
  }
}

/**
 * Encodes every message of a batch before any of it is written, so one that cannot be encoded is
 * found while nothing is lost by refusing the batch.
 * @throws UnwritableMessagesError naming every message whose `encode` threw.
 */
export function encodeAll<In, Out>(batch: readonly In[], encode: (message: In) => Out): Out[] {
  const encoded: Out[] = [];
  const unwritable: UnwritableMessage[] = [];
  batch.forEach((message, index) => {
    try {
      encoded.push(encode(message));
    } catch (cause) {
      unwritable.push({ index, cause });
    }
  });
  if (unwritable.length > 0) throw new UnwritableMessagesError(unwritable, batch.length);
  return encoded;
}
