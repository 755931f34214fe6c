import { describe, ResilientStreamError } from '../errors.js';
import type { ResilientStreamOptions } from '../options.js';
import { fn, invalid } from '../validate.js';
import type { BookOverrides, FetchLike, VenueOverrides } from './types.js';

/** The `depth` a venue's book takes: one of a documented list, an integer range, or none (the preset has one depth). */
export type DepthRule =
  | { readonly oneOf: readonly number[]; readonly what: string }
  | { readonly from: number; readonly to: number; readonly what: string }
  | { readonly none: string };

/**
 * Checks a book preset's own overrides (`depth`, `restUrl`, `fetch`) when the preset is called, as
 * `resolveOptions()` checks stream options; the stream options in it are checked by the stream.
 * @throws ResilientStreamError RS_INVALID_OPTIONS naming the option and the value.
 */
export function checkBookOverrides(overrides: unknown, rule: DepthRule): void {
  if (overrides === undefined) return;
  if (!isObject(overrides)) throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected the overrides to be an object, got ${describe(overrides)}.`);
  const { depth, restUrl, fetch } = overrides;
  if (restUrl !== undefined && !isHttpUrl(restUrl)) invalid('restUrl', 'an http or https url', restUrl);
  fn('fetch', fetch);
  if (depth === undefined) return;
  if ('none' in rule) invalid('depth', `left out (${rule.none})`, depth);
  else if ('oneOf' in rule) {
    if (typeof depth !== 'number' || !rule.oneOf.includes(depth)) invalid('depth', `one of ${rule.oneOf.join(', ')} (${rule.what})`, depth);
  } else if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < rule.from || depth > rule.to) {
    invalid('depth', `an integer from ${rule.from} to ${rule.to} (${rule.what})`, depth);
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

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
