import { writeFile } from 'node:fs/promises';
import { redactUrl, ResilientStream } from '../index.js';
import { ndjsonFileSink, pipeTo } from '../node/index.js';
import type { RecordedFrame } from '../testing/replay.js';
import { runSession, sessionOptions, takeCount, type SessionFlags } from './session.js';

/** Flags of `record`. */
export interface RecordFlags extends SessionFlags {
  /** The NDJSON file to write (replaced if it exists). */
  readonly output: string;
}

/** The first line of a recording. */
export interface SessionHeader {
  readonly type: 'session';
  readonly version: 1;
  /** The URL recorded, credentials and query values redacted. */
  readonly url: string;
  readonly startedAt: number;
}

/**
 * `resilient-stream record <url> -o session.ndjson`: writes a `session` header line, then every
 * frame received, verbatim, with its receive time (`{"type":"frame","at":…,"text":"…"}`, or
 * `"binary"` in base64), through `pipeTo` into the NDJSON sink. `serve --replay` plays it back.
 */
export async function record(url: string, flags: RecordFlags, log: { write(text: string): unknown } = process.stderr): Promise<number> {
  const header: SessionHeader = { type: 'session', version: 1, url: redactUrl(url), startedAt: Date.now() };
  await writeFile(flags.output, `${JSON.stringify(header)}\n`);
  const stream = new ResilientStream<RecordedFrame, unknown>({
    ...sessionOptions<RecordedFrame>(url, flags),
    // The frame is the message: recorded as received, before any parsing.
    decode: (data): RecordedFrame => (typeof data === 'string'
      ? { type: 'frame', at: Date.now(), text: data }
      : { type: 'frame', at: Date.now(), binary: Buffer.from(data).toString('base64') }),
  });
  stream.on('error', (error) => log.write(`# error ${error.code}: ${error.message}\n`));
  stream.on('open', ({ url: redacted }) => log.write(`# recording ${redacted} to ${flags.output}\n`));
  const sink = ndjsonFileSink<RecordedFrame>(flags.output);
  const piped = pipeTo(stream, sink, { flushIntervalMs: 100, filter: takeCount(flags), onError: (error) => log.write(`# ${error.message}\n`) });
  const code = await runSession(stream, flags);
  const result = await piped;
  await sink.close();
  log.write(`# recorded ${result.written} frame(s) to ${flags.output}\n`);
  return code;
}
