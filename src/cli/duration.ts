import { InvalidArgumentError } from 'commander';
import { MAX_DURATION_MS } from '../validate.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `10s`, `1.5m` or `2h` into milliseconds; a bare number is
 * milliseconds. Throws commander's InvalidArgumentError (exit code 2) for anything else, and for
 * more than 2147483647 ms (about 596 h).
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError(`Expected a duration such as 500ms, 10s, 2m or 1h, got ${JSON.stringify(text)}.`);
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
  // Node fires a longer timer at once: `--duration 600h` would stop at once.
  if (ms > MAX_DURATION_MS) throw new InvalidArgumentError(`Expected a duration up to 596h (${MAX_DURATION_MS} ms), got ${JSON.stringify(text)}.`);
  return ms;
}

/** Parses an integer >= `min`; commander's InvalidArgumentError otherwise. */
export function parseInteger(min: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`Expected an integer >= ${min}, got ${JSON.stringify(text)}.`);
    return value;
  };
}

/** Parses a number > 0; commander's InvalidArgumentError otherwise. */
export function parsePositive(text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new InvalidArgumentError(`Expected a number > 0, got ${JSON.stringify(text)}.`);
  return value;
}

/** Collects a repeatable JSON option (`--subscribe '{…}' --subscribe '{…}'`). */
export function collectJson(text: string, previous: unknown[] = []): unknown[] {
  try {
    return [...previous, JSON.parse(text)];
  } catch {
    throw new InvalidArgumentError(`Expected JSON, got ${JSON.stringify(text)}.`);
  }
}
