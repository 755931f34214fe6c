import { describe, ResilientStreamError } from './errors.js';
import type { Clock } from './options.js';

/** How one run of a user hook ended. */
export type HookOutcome<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: ResilientStreamError };

/**
 * Runs a user hook (`resync` or `backfill`) once under a deadline: its signal aborts after
 * `timeoutMs` (RS_RESYNC "within N ms"), or when the owner aborts `abort` (a replaced socket,
 * `close()`). A throw, a rejection, a timeout and an owner's abort all settle as `ok: false`,
 * with an RS_RESYNC error, and leave the signal aborted; the caller decides whether the abort was
 * its own doing.
 */
export async function callHook<R>(
  hook: (signal: AbortSignal) => R | Promise<R>,
  abort: AbortController,
  name: string,
  timeoutMs: number,
  clock: Clock,
): Promise<HookOutcome<R>> {
  const timer = clock.setTimeout(() => {
    abort.abort(new ResilientStreamError('RS_RESYNC', `Expected the ${name} hook to finish within ${timeoutMs} ms (resyncTimeoutMs).`));
  }, timeoutMs);
  try {
    // A hook that never looks at its signal still loses the race against it.
    const aborted = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true }));
    return { ok: true, value: await Promise.race([Promise.resolve().then(() => hook(abort.signal)), aborted]) };
  } catch (cause) {
    const error = cause instanceof ResilientStreamError && cause.code === 'RS_RESYNC'
      ? cause
      : new ResilientStreamError('RS_RESYNC', `The ${name} hook failed: ${describe(cause)}`, { cause });
    // Whatever the failed run started (a fetch, a timer) is told to stop.
    if (!abort.signal.aborted) abort.abort(error);
    return { ok: false, error };
  } finally {
    clock.clearTimeout(timer);
  }
}
