import type { ResilientStream, ResilientStreamOptions } from '../index.js';
import { EXIT } from './exit-codes.js';

/** Flags shared by `tail` and `record`. */
export interface SessionFlags {
  /** Messages sent after every open (`--subscribe`, repeatable). */
  readonly subscribe?: unknown[];
  /** Data staleness threshold in ms (`--stale`). */
  readonly stale?: number;
  /** Stop after this many messages (`--count`). */
  readonly count?: number;
  /** Stop after this long, in ms (`--duration`). */
  readonly duration?: number;
}

/** The stream options the session flags ask for. */
export function sessionOptions<In>(url: string, flags: SessionFlags): ResilientStreamOptions<In, unknown> {
  const messages = flags.subscribe ?? [];
  return {
    url,
    ...(messages.length > 0 ? { subscribe: () => messages } : {}),
    ...(flags.stale !== undefined ? { staleAfterMs: flags.stale } : {}),
  };
}

/**
 * A message filter that lets exactly `--count` messages through (frames that arrive while the
 * stream closes are left out), or every message without `--count`.
 */
export function takeCount(flags: SessionFlags): () => boolean {
  let taken = 0;
  return () => flags.count === undefined || taken++ < flags.count;
}

/**
 * Starts the stream and runs it until SIGINT or SIGTERM, `--count` messages or `--duration`,
 * then closes it. Resolves with the exit code: OK, or STREAM_FAILED when the stream gave up.
 */
export function runSession<In, Out>(stream: ResilientStream<In, Out>, flags: SessionFlags): Promise<number> {
  return new Promise((resolve) => {
    let messages = 0;
    let failed = false;
    const stop = (): void => void stream.close();
    const timer = flags.duration === undefined ? undefined : setTimeout(stop, flags.duration);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    stream.on('message', () => {
      if (flags.count !== undefined && ++messages === flags.count) stop();
    });
    stream.on('state', ({ to }) => {
      if (to === 'failed') {
        failed = true;
        stop();
      } else if (to === 'closed') {
        clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(failed ? EXIT.STREAM_FAILED : EXIT.OK);
      }
    });
    stream.start();
  });
}
