// Small statistics helpers: every summary in the report is a median with its min-max range, or a
// percentile of a sample; nothing is averaged across rounds.

/** The q-quantile (0..1) of `values` with linear interpolation between closest ranks. */
export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export const median = (values) => quantile(values, 0.5);

/** { median, min, max, n } of a list of numbers. */
export function summarize(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    n: finite.length,
  };
}

/** Formats a number with `digits` decimals and thin thousands separators. */
export function fmt(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "median (min–max)" with `digits` decimals. */
export function fmtRange(summary, digits = 0, unit = '') {
  if (!summary || summary.n === 0) return 'n/a';
  return `${fmt(summary.median, digits)}${unit} (${fmt(summary.min, digits)}–${fmt(summary.max, digits)})`;
}

/** Rotates `list` left by `by` places: round r starts with a different contender (A B C, B C A, ...). */
export function rotate(list, by) {
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** Parses `--key=value` arguments into an object; numbers become numbers, `a,b` stays a string. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (const arg of argv) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match) continue;
    const value = match[2] ?? 'true';
    args[match[1]] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return args;
}
