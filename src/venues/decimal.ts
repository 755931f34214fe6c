/**
 * Exact comparison of non-negative decimal strings, so a book sorts `"0.1"`, `"0.10"` and
 * `"1e-1"` without a float ever being made (parseFloat would merge distinct 18-digit prices).
 * Pure: no I/O.
 */

/** `"00123.4500"` → `"123.45"`; `"1e-3"` → `"0.001"`; the canonical text of a decimal. */
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

/** Negative, zero or positive as `a` is below, equal to or above `b` (both canonical or not). */
export function compareDecimal(a: string, b: string): number {
  const [aw = '0', af = ''] = canonicalDecimal(a).split('.');
  const [bw = '0', bf = ''] = canonicalDecimal(b).split('.');
  if (aw.length !== bw.length) return aw.length - bw.length;
  if (aw !== bw) return aw < bw ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const ap = af.padEnd(width, '0');
  const bp = bf.padEnd(width, '0');
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

/** Whether a quantity is zero in any spelling (`"0"`, `"0.00000000"`, `"0e0"`). */
export function isZeroDecimal(text: string): boolean {
  return canonicalDecimal(text) === '0';
}

/** Moves the decimal point by the exponent, as text. */
function expandExponent(text: string): string {
  const [mantissa = '0', exponentText = '0'] = text.toLowerCase().split('e');
  const exponent = Number(exponentText);
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  const point = whole.length + exponent;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}
