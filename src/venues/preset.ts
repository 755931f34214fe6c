import type { ResilientStreamOptions } from '../options.js';
import type { BookOverrides, FetchLike, VenueOverrides } from './types.js';

/**
 * Checks and normalises a symbol list in the venue's notation.
 * @throws TypeError naming the venue's notation and the value.
 */
export function symbolList(symbols: string | readonly string[], pattern: RegExp, notation: string): string[] {
  const list = typeof symbols === 'string' ? [symbols] : [...symbols];
  if (list.length === 0) throw new TypeError(`Expected at least one symbol like ${notation}, got none.`);
  for (const symbol of list) {
    if (typeof symbol !== 'string' || !pattern.test(symbol)) {
      throw new TypeError(`Expected a symbol like ${notation}, got ${JSON.stringify(symbol)}.`);
    }
  }
  return list;
}

/** The preset's options with the caller's overrides on top (`url` replaces the endpoint; `restUrl`, `fetch` and `depth` are the preset's own). */
export function withOverrides<In, Out>(
  base: ResilientStreamOptions<In, Out>,
  overrides: VenueOverrides<In, Out> | BookOverrides<In, Out> | undefined,
): ResilientStreamOptions<In, Out> {
  if (overrides === undefined) return base;
  const { url, restUrl: _restUrl, fetch: _fetch, depth: _depth, ...rest } = overrides as BookOverrides<In, Out>;
  return { ...base, ...rest, url: url ?? base.url };
}

/** The fetch to use: the override, else the global one. @throws TypeError when neither exists. */
export function fetchOf(overrides: { readonly fetch?: FetchLike } | undefined): FetchLike {
  const fetch = overrides?.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
  if (fetch === undefined) throw new TypeError('Expected a `fetch` override or a global fetch for REST snapshots, got neither.');
  return fetch;
}

/** Whether a decoded message is a plain object. */
export function isObject(message: unknown): message is Record<string, unknown> {
  return typeof message === 'object' && message !== null && !Array.isArray(message);
}

/** A request id counter per options object. */
export function counter(): () => number {
  let n = 0;
  return () => ++n;
}
