/**
 * Exact comparison of non-negative decimal strings, so a book sorts `"0.1"`, `"0.10"` and
 * `"1e-1"` without a float ever being made (parseFloat would merge distinct 18-digit prices).
 * Pure: no I/O.
 */

/**
 * A level's price or quantity as every venue writes it: digits with an optional fraction, no sign,
 * no exponent, no blanks. Binance ("0.01000000", Diff. Depth Stream and GET /api/v3/depth), Bybit
 * (`b[0]` "string", v5 WebSocket Orderbook), OKX (`books` levels) and Coinbase (`price_level`,
 * `new_quantity`, Advanced Trade Level 2) send such strings; Kraken sends JSON numbers whose digits the
 * preset keeps as they are (its checksum guide hashes those digits, so an exponent would already fail
 * it). Linear in the text's length (no backtracking: each part is one run of digits).
 */
const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;
/** A plain decimal whose digits are all zero: a quantity that removes its level. */
const ZERO_DECIMAL = /^0+(?:\.0+)?$/;
/**
 * The largest exponent {@link compareDecimal} writes out (`1e324` is 325 characters); enough for any
 * number a JavaScript double prints (`5e-324`, `1.7976931348623157e308`). A larger one is refused:
 * written out in full, `"1e300000000"` cost a second and 600 MB on every comparison.
 */
const MAX_EXPONENT = 324;

/** Whether `value` is a plain decimal string (`"0.01000000"`, `"5"`): what a book level must be. */
export function isPlainDecimal(value: unknown): value is string {
  return typeof value === 'string' && PLAIN_DECIMAL.test(value);
}

/** Whether a plain decimal is zero (`"0"`, `"0.00000000"`). */
export function isZeroPlain(text: string): boolean {
  return ZERO_DECIMAL.test(text);
}

/**
 * `"00123.4500"` → `"123.45"`; `"1e-3"` → `"0.001"`; the canonical text of a decimal.
 * @throws RangeError for an exponent beyond ±324.
 */
export function canonicalDecimal(text: string): string {
  let value = text.trim();
  if (value.startsWith('+')) value = value.slice(1);
  if (/e/i.test(value)) value = expandExponent(value);
  let [whole = '', fraction = ''] = value.split('.');
  whole = whole.replace(/^0+(?=\d)/, '');
  fraction = fraction.replace(/0+$/, '');
  if (whole === '') whole = '0';
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** What {@link compareDecimal} reads: an optional `+`, digits with an optional fraction, an optional exponent. */
const DECIMAL = /^\s*\+?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i;

/**
 * Negative, zero or positive as `a` is below, equal to or above `b`: non-negative decimal strings,
 * canonical or not (`"0.10"`, `"1e-1"`).
 * @throws TypeError for anything else (`"abc"`, `"-5"`, a number), RangeError for an exponent beyond ±324.
 */
export function compareDecimal(a: string, b: string): number {
  for (const value of [a, b]) {
    if (typeof value !== 'string' || !DECIMAL.test(value)) {
      throw new TypeError(`Expected a non-negative decimal string such as "0.01" or "1e-3", got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}.`);
    }
  }
  return compareTrusted(a, b);
}

/** {@link compareDecimal} for text already known to be decimal (the book's own levels: no check per comparison). */
export function compareTrusted(a: string, b: string): number {
  const [aw = '0', af = ''] = canonicalDecimal(a).split('.');
  const [bw = '0', bf = ''] = canonicalDecimal(b).split('.');
  if (aw.length !== bw.length) return aw.length - bw.length;
  if (aw !== bw) return aw < bw ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const ap = af.padEnd(width, '0');
  const bp = bf.padEnd(width, '0');
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

/** Moves the decimal point by the exponent, as text. */
function expandExponent(text: string): string {
  const [mantissa = '0', exponentText = '0'] = text.toLowerCase().split('e');
  const exponent = Number(exponentText);
  if (!(Math.abs(exponent) <= MAX_EXPONENT)) {
    throw new RangeError(`Expected a decimal exponent from -${MAX_EXPONENT} to ${MAX_EXPONENT}, got ${JSON.stringify(text.slice(0, 40))}.`);
  }
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  const point = whole.length + exponent;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}
