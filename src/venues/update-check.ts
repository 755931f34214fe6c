import { describe } from '../errors.js';
import { isPlainDecimal } from './decimal.js';
import type { BookUpdate, WireUpdate } from './types.js';

/**
 * Checks a whole book update before any of it is applied, so a malformed frame can never leave a
 * book half changed: both sides must be lists of `[price, quantity]` plain decimal strings (no sign,
 * no exponent: see decimal.ts for what each venue sends), ids integers where the venue numbers its
 * updates, the checksum an unsigned 32-bit integer where it sends one. Linear in the update's size;
 * the message is only built for a refused update. Pure.
 */

/** What a feed's updates carry besides levels. */
export interface UpdateRules {
  /** Every update has an integer `last` (and integer `first`/`previous` when present). */
  readonly numbered: boolean;
  /** Every update has the venue's checksum (Kraken). */
  readonly checksummed: boolean;
}

/** Whether `update` can be applied whole (no message is built for one that can). */
export function isBookUpdate(update: WireUpdate, rules: UpdateRules): update is BookUpdate {
  return problemOf(update, rules) === undefined;
}

/** What is wrong with `update`, in the venue's terms where it can; undefined when it can be applied whole. */
export function problemOf(update: WireUpdate, rules: UpdateRules): string | undefined {
  const side = sideProblem('bids', update.bids) ?? sideProblem('asks', update.asks);
  if (side !== undefined) return side;
  if (!hasIds(update, rules)) {
    return `the update ids are first ${show(update.first)}, last ${show(update.last)}, previous ${show(update.previous)}; expected integers`;
  }
  if (!hasChecksum(update, rules)) return `the checksum is ${show(update.checksum)}, expected an unsigned 32-bit integer`;
  return undefined;
}

function isLevel(level: unknown): boolean {
  return Array.isArray(level) && isPlainDecimal(level[0]) && isPlainDecimal(level[1]);
}

function hasIds({ first, last, previous }: WireUpdate, rules: UpdateRules): boolean {
  if (!rules.numbered) return true;
  return Number.isSafeInteger(last) && (first === undefined || Number.isSafeInteger(first)) && (previous === undefined || Number.isSafeInteger(previous));
}

function hasChecksum({ checksum }: WireUpdate, rules: UpdateRules): boolean {
  return !rules.checksummed || (typeof checksum === 'number' && Number.isInteger(checksum) && checksum >= 0 && checksum <= 0xffffffff);
}

function sideProblem(name: string, side: unknown): string | undefined {
  if (!Array.isArray(side)) return `${name} is ${show(side)}, expected a list of [price, quantity] levels`;
  for (let i = 0; i < side.length; i++) {
    if (!isLevel(side[i])) return `${name}[${i}] is ${show(side[i])}, expected [price, quantity] as plain decimal strings ("0.0024", "10")`;
  }
  return undefined;
}

/** A short, never-throwing description of a wire value (a frame can hold a megabyte where a price belongs). */
function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : describe(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
