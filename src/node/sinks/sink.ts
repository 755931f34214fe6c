/**
 * Where `pipeTo` writes. Implement it for your own store: a database, a queue, a file.
 *
 * `pipeTo` calls `write` with one batch at a time, never two at once, in the order the messages
 * arrived, and calls it again with the same batch when it rejects (at-least-once). A sink that
 * can tell a message it already wrote (an id, a sequence) makes the pipe effectively once.
 */
export interface Sink<In = unknown> {
  /** Writes a batch, in order; rejects when any of it may not have been written. */
  write(batch: readonly In[]): Promise<void>;
  /** Flushes and releases what the sink holds (file handles, connections). Idempotent. */
  close?(): Promise<void>;
}
