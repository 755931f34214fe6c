import { describe } from '../errors.js';
import { unknownKey } from '../validate.js';

/**
 * The option checks of the Node helpers (`pipeTo`, the sinks, `serveHealth`): each throws a
 * `TypeError` that names the field and the value it got, in the house style ("Expected
 * `batchSize` to be an integer > 0, got 0."). Pure.
 */

/** Throws "Expected `field` to be expected, got value." unless `ok`. */
export function check(field: string, value: unknown, ok: boolean, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${field}\` to be ${expected}, got ${show(value)}.`);
}

/**
 * An options object (not null, not a primitive) whose keys are all in `known`: a misspelt key
 * would otherwise be ignored silently. `prefix` names a nested group (`'retry.'`).
 */
export function checkOptions(field: string, options: unknown, known: readonly string[], prefix = ''): void {
  check(field, options, typeof options === 'object' && options !== null, 'an object');
  knownKeys(options as object, known, prefix);
}

/** Undefined or a function. */
export function checkFunction(field: string, value: unknown): void {
  check(field, value, value === undefined || typeof value === 'function', 'a function');
}

/**
 * Refuses a key not in `known`, with the closest known one suggested (the stream's own rule in
 * src/validate.ts, so both agree on what a typo is) and the full list.
 */
function knownKeys(value: object, known: readonly string[], prefix: string): void {
  const problem = unknownKey(value, known, prefix);
  if (problem !== undefined) throw new TypeError(`${problem} Expected one of ${known.map((name) => `\`${prefix}${name}\``).join(', ')}.`);
}

/** How a value is shown in a message: strings quoted, no function source, never throwing. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return 'an object';
  return describe(value);
}
