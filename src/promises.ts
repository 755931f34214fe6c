import { describe, ResilientStreamError } from './errors.js';
import type { Clock } from './options.js';
import type { StateEvent } from './events.js';
import { TRANSITIONS, type StreamState } from './state.js';
import { duration, invalid, isPlainObject } from './validate.js';

/** The slice of a stream the promise helpers listen to. */
export interface Observable {
  readonly state: StreamState;
  on(event: 'state', listener: (event: StateEvent) => void): unknown;
  on(event: 'error', listener: (error: ResilientStreamError) => void): unknown;
  off(event: 'state', listener: (event: StateEvent) => void): unknown;
  off(event: 'error', listener: (error: ResilientStreamError) => void): unknown;
}

/** Options of `waitFor()`. */
export interface WaitForOptions {
  /** Reject with RS_TIMEOUT after this long, in ms. @default no timeout */
  readonly timeoutMs?: number;
  /** Reject with the signal's reason when it aborts. */
  readonly signal?: AbortSignal;
}

/**
 * Settles once: listens with `listen`, and tears down every listener, the timer and the abort
 * handler on whichever outcome comes first.
 */
function settleOnce<T>(clock: Clock, options: WaitForOptions, what: string,
  listen: (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { timeoutMs, signal } = options;
    if (signal?.aborted === true) return reject(signal.reason);
    let timer: unknown;
    let unlisten = (): void => {};
    const onAbort = (): void => finish(() => reject(signal!.reason));
    const finish = (settle: () => void): void => {
      unlisten();
      if (timer !== undefined) clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    unlisten = listen((value) => finish(() => resolve(value)), (error) => finish(() => reject(error)));
    if (timeoutMs !== undefined) {
      timer = clock.setTimeout(() => finish(() => reject(new ResilientStreamError('RS_TIMEOUT', `Expected ${what} within ${timeoutMs} ms (timeoutMs).`))), timeoutMs);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `options` of waitFor() and once(), checked (a NaN or negative timeout would fire at once, a
 * typo never); a timeout of Infinity means none.
 */
function checked(options: unknown): WaitForOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options) || Object.keys(options).some((key) => key !== 'timeoutMs' && key !== 'signal')) {
    return invalid('options', 'an object with timeoutMs and signal', options);
  }
  const { timeoutMs, signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) invalid('signal', 'an AbortSignal', signal);
  if (timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY) return { signal };
  return { timeoutMs: duration('timeoutMs', timeoutMs, 0), signal };
}

/**
 * Resolves when `stream` is in one of `states` (at once if it already is). Rejects with RS_CLOSED
 * when it closes first, with the failure's error when it fails first (unless those states are
 * awaited), with RS_TIMEOUT after `timeoutMs`, and with the signal's reason on abort.
 */
export function waitForState(stream: Observable, clock: Clock, states: readonly StreamState[], options?: WaitForOptions): Promise<StreamState> {
  if (!Array.isArray(states) || states.length === 0 || states.some((state) => !Object.hasOwn(TRANSITIONS, state))) {
    return Promise.reject(new ResilientStreamError('RS_INVALID_OPTIONS',
      `Expected waitFor() to get a state or a list of them (${Object.keys(TRANSITIONS).join(', ')}), got ${describe(states)}.`));
  }
  let settings: WaitForOptions;
  try {
    settings = checked(options);
  } catch (error) {
    // A typo must not wait for ever, a NaN timeout not fire at once: RS_INVALID_OPTIONS.
    return Promise.reject(error);
  }
  if (states.includes(stream.state)) return Promise.resolve(stream.state);
  // No state follows `closed`: waiting would never end.
  if (stream.state === 'closed') return Promise.reject(new ResilientStreamError('RS_CLOSED', `The stream is closed; state ${states.join(' or ')} will never come.`));
  return settleOnce<StreamState>(clock, settings, `state ${states.join(' or ')}`, (resolve, reject) => {
    let isFailing = false;
    const onState = ({ to }: StateEvent): void => {
      if (states.includes(to)) return resolve(to);
      // The failure's error follows its state change; it is the more useful rejection.
      if (to === 'failed') isFailing = true;
      if (to === 'closed') reject(new ResilientStreamError('RS_CLOSED', `The stream closed while waiting for state ${states.join(' or ')}.`));
    };
    const onError = (error: ResilientStreamError): void => {
      if (isFailing) reject(error);
    };
    stream.on('state', onState);
    stream.on('error', onError);
    return () => {
      stream.off('state', onState);
      stream.off('error', onError);
    };
  });
}

/**
 * Resolves with the next payload `listen` reports (it subscribes and returns its unsubscribe);
 * rejects with RS_CLOSED when the stream closes first (unless the awaited event is `state`).
 */
export function nextEvent<P>(stream: Observable, clock: Clock, event: string,
  listen: (listener: (payload: P) => void) => () => void): Promise<P> {
  if (stream.state === 'closed') return Promise.reject(new ResilientStreamError('RS_CLOSED', `The stream is closed; '${event}' will never come.`));
  return settleOnce<P>(clock, {}, `'${event}'`, (resolve, reject) => {
    const onState = ({ to }: StateEvent): void => {
      if (to === 'closed' && event !== 'state') reject(new ResilientStreamError('RS_CLOSED', `The stream closed before '${event}'.`));
    };
    const unlisten = listen(resolve);
    stream.on('state', onState);
    return () => {
      unlisten();
      stream.off('state', onState);
    };
  });
}
