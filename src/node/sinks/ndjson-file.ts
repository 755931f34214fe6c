import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { check, checkFunction, checkOptions, show } from '../check-options.js';
import { encodeAll, type Sink } from './sink.js';

/** Options of {@link ndjsonFileSink}. */
export interface NdjsonFileSinkOptions<In> {
  /** Rotate before a batch would grow the file past this size, in bytes; `false` never rotates. @default false */
  readonly maxBytes?: number | false;
  /** Rotated files kept: `name.1` (newest) to `name.<maxFiles>`; older ones are deleted. @default 5 */
  readonly maxFiles?: number;
  /** One message to one line; a message it throws for, or gives no string or a line feed for, is unwritable (see `UnwritableMessagesError`). @default JSON.stringify */
  readonly encode?: (message: In) => string;
  /** `fsync` after every batch, so a written batch survives a power cut (slower). @default false */
  readonly fsync?: boolean;
}

/** The NDJSON file sink: a {@link Sink} plus what it has written. */
export interface NdjsonFileSink<In> extends Sink<In> {
  /** The file written to now. */
  readonly path: string;
  /** Times the file was rotated. */
  readonly rotations: number;
  close(): Promise<void>;
}

/**
 * Appends each message as one JSON line to `path` (created if missing, appended to if present).
 * With `maxBytes`, a batch that would grow the file past it first rotates: `name` becomes
 * `name.1`, `name.1` becomes `name.2`, …, and the oldest beyond `maxFiles` is deleted. A batch
 * is never split across files; a batch larger than `maxBytes` gets a file of its own.
 *
 * At-least-once: a batch whose append failed half-way is appended again in full when retried.
 * Every message is encoded before anything is appended: one that cannot be (a BigInt, a circular
 * object, a throwing `encode`) fails the batch with {@link UnwritableMessagesError} naming it, and
 * `pipeTo` writes the rest without it.
 * @throws TypeError for a bad option, naming it.
 */
export function ndjsonFileSink<In = unknown>(path: string, options: NdjsonFileSinkOptions<In> = {}): NdjsonFileSink<In> {
  check('path', path, typeof path === 'string' && path.length > 0, 'a non-empty string');
  checkOptions('options', options, ['maxBytes', 'maxFiles', 'encode', 'fsync']);
  const { maxBytes = false, maxFiles = 5, encode = JSON.stringify, fsync = false } = options;
  checkFunction('encode', encode);
  check('fsync', fsync, typeof fsync === 'boolean', 'a boolean');
  check('maxBytes', maxBytes, maxBytes === false || (Number.isInteger(maxBytes) && maxBytes > 0), 'false or an integer > 0');
  check('maxFiles', maxFiles, Number.isInteger(maxFiles) && maxFiles >= 1, 'an integer >= 1');
  let handle: FileHandle | undefined;
  let size = 0;
  let rotations = 0;
  let closing: Promise<void> | undefined;

  async function ensureOpen(): Promise<FileHandle> {
    if (handle !== undefined) return handle;
    const opened = await open(path, 'a');
    size = (await opened.stat()).size;
    handle = opened;
    return opened;
  }

  async function rotate(): Promise<void> {
    await handle?.close();
    handle = undefined;
    await rm(`${path}.${maxFiles}`, { force: true });
    for (let n = maxFiles - 1; n >= 1; n--) {
      if (await exists(`${path}.${n}`)) await rename(`${path}.${n}`, `${path}.${n + 1}`);
    }
    await rename(path, `${path}.1`);
    rotations++;
  }

  return {
    path,
    get rotations() {
      return rotations;
    },
    async write(batch) {
      if (closing !== undefined) throw new Error(`Expected an open NDJSON sink for ${path}, got one that was closed.`);
      if (batch.length === 0) return;
      const text = `${encodeAll(batch, (message) => line(encode(message))).join('\n')}\n`;
      const bytes = Buffer.byteLength(text);
      let file = await ensureOpen();
      if (maxBytes !== false && size > 0 && size + bytes > maxBytes) {
        await rotate();
        file = await ensureOpen();
      }
      try {
        await file.appendFile(text);
        if (fsync) await file.sync();
      } catch (error) {
        // Reopen (and re-measure) on the retry: part of the batch may be in the file.
        handle = undefined;
        await file.close().catch(() => undefined);
        throw error;
      }
      size += bytes;
    },
    close() {
      closing ??= (async () => {
        const current = handle;
        handle = undefined;
        await current?.close();
      })();
      return closing;
    },
  };
}

/** An encoded message that is one NDJSON line: a string (`JSON.stringify` gives undefined for undefined and functions) without a line feed. */
function line(encoded: unknown): string {
  if (typeof encoded !== 'string') throw new TypeError(`Expected encode() to give a string, got ${show(encoded)}.`);
  if (encoded.includes('\n')) throw new TypeError(`Expected encode() to give a line without a line feed, got ${show(encoded)}.`);
  return encoded;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
