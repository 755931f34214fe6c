import { describe, ResilientStreamError } from './errors.js';

/**
 * The checks behind `resolveOptions()`: each names the field and the value it got, in one house
 * style ("Expected `backoff.factor` to be a finite number >= 1, got 0."). Pure.
 */

/** The longest delay a timer can be armed with (Node fires longer ones at once). */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** How a value is shown in a message: strings quoted, functions named as such, never throwing. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return describe(value);
  return describe(String(value));
}

/** Throws RS_INVALID_OPTIONS: "Expected `field` to be expected, got value." */
export function invalid(field: string, expected: string, got: unknown): never {
  throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected \`${field}\` to be ${expected}, got ${show(got)}.`);
}

/** A number >= min; `integer` requires a whole number, `infinite` also allows Infinity. */
export function number(field: string, value: unknown, min: number, options: { integer?: boolean; infinite?: boolean } = {}): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    (Number.isFinite(value) || options.infinite === true) &&
    (options.integer !== true || !Number.isFinite(value) || Number.isInteger(value));
  if (ok) return value as number;
  const kind = options.integer === true ? 'an integer' : options.infinite === true ? 'a number' : 'a finite number';
  return invalid(field, `${kind} >= ${min}`, value);
}

/** A duration a timer can be armed with: a finite number in [min, 2^31 - 1] ms. */
export function duration(field: string, value: unknown, min = 0): number {
  if (typeof value === 'number' && value >= min && value <= MAX_DURATION_MS) return value;
  return invalid(field, `a finite number of ms from ${min} to ${MAX_DURATION_MS}`, value);
}

/**
 * A rate in events per second whose interval a timer can hold: at least one per 2^31 - 1 ms
 * (24.8 days). A slower rate would wait longer than any timer (Node fires those at once).
 */
export function rate(field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value * MAX_DURATION_MS >= 1000) return value;
  return invalid(field, 'a finite number per second of at least one per 24.8 days (4.7e-7, the longest timer)', value);
}

/** Undefined or a function. */
export function fn<T>(field: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') invalid(field, 'a function', value);
  return value;
}

/** Undefined or a boolean, else the fallback. */
export function bool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(field, 'a boolean', value);
  return value as boolean;
}

/** True for `{}`-style objects (not arrays, class instances, functions or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Refuses any key of `value` that is not in `known`, suggesting the closest known one. */
export function knownKeys(value: object, known: readonly string[], prefix = ''): void {
  const problem = unknownKey(value, known, prefix);
  if (problem !== undefined) throw new ResilientStreamError('RS_INVALID_OPTIONS', problem);
}

/** "Unknown option `prefix.key`; did you mean `prefix.closest`?" for the first key of `value` not in `known`, else undefined. */
export function unknownKey(value: object, known: readonly string[], prefix = ''): string | undefined {
  const key = Object.keys(value).find((candidate) => !known.includes(candidate));
  if (key === undefined) return undefined;
  const closest = closestKey(key, known);
  return `Unknown option \`${prefix}${key}\`${closest === undefined ? '.' : `; did you mean \`${prefix}${closest}\`?`}`;
}

/** The known key nearest to `key` by case-insensitive edit distance, if it is near enough to be a typo. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions), two rows of memory. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** RFC 7230 `token`: the characters a WebSocket sub-protocol name may use. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `protocols`: one token or a list of unique tokens. */
export function protocols(value: unknown): string | string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  const expected = 'a sub-protocol token or an array of unique tokens (letters, digits and !#$%&\'*+-.^_`|~)';
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || !TOKEN.test(item)) || new Set(list).size !== list.length) {
    return invalid('protocols', expected, value);
  }
  return typeof value === 'string' ? value : Object.freeze([...(list as string[])]) as string[];
}

/** What is wrong with a url to dial, or undefined when it can be dialed. */
export function urlProblem(value: unknown): string | undefined {
  if (!(value instanceof URL) && typeof value !== 'string') return `${show(value)} (not a string or URL)`;
  let parsed: URL;
  try {
    parsed = new URL(String(value));
  } catch {
    return 'an unparsable url';
  }
  if (!/^(wss?|https?):$/.test(parsed.protocol)) return `a ${parsed.protocol} url`;
  if (parsed.hash !== '' || String(value).includes('#')) return 'a url with a #fragment (WebSocket urls cannot have one)';
  return undefined;
}

/** `subscribe()`/`unsubscribe()` arguments: one topic or a list of non-empty strings, deduplicated. */
export function topicList(topics: unknown, method: string): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.some((topic) => typeof topic !== 'string' || topic === '')) {
    throw new ResilientStreamError('RS_INVALID_OPTIONS', `Expected ${method}() to get a non-empty string or an array of them, got ${show(topics)}.`);
  }
  return [...new Set(list as string[])];
}
