import { describe, ResilientStreamError } from './errors.js';

/**
 * Reconnect delays: exponential growth with a cap, then jitter so a fleet of clients that lost
 * the same server does not come back in lockstep (the thundering herd). The cap may also be bounded
 * by the length of the outage so far, so that a short outage never leaves a client waiting long
 * after the server is back (see docs/guides/storms-and-backoff.md).
 *
 * The jitter formulas follow Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture
 * Blog, 2015 (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 *
 * Pure: no timers, no clock; randomness arrives as a `random` function.
 */

/**
 * How a delay is spread around its cap.
 * - `full`: uniform in [0, cap] (AWS "Full Jitter"): the best spread, occasionally near zero.
 * - `equal`: cap/2 plus uniform in [0, cap/2] (AWS "Equal Jitter"): never shorter than half the cap.
 * - `decorrelated`: uniform in [initialDelayMs, 3 x previous delay], capped (AWS "Decorrelated
 *   Jitter"): grows from the previous delay instead of from the attempt number.
 * - `none`: exactly the cap; deterministic, for tests and single clients only.
 */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

/** Every {@link Jitter} mode, for validating configuration. */
export const JITTER_MODES: readonly Jitter[] = Object.freeze(['full', 'equal', 'decorrelated', 'none']);

/** Shape of the reconnect delays. Validation is the caller's job (see `resolveOptions()`). */
export interface BackoffPolicy {
  /** Cap of the first reconnect attempt, and the floor of decorrelated jitter, in ms. */
  readonly initialDelayMs: number;
  /** No delay is ever longer than this, in ms. Must be finite. */
  readonly maxDelayMs: number;
  /** Growth of the cap per attempt; 1 keeps it at `initialDelayMs`. Expected >= 1. */
  readonly factor: number;
  /**
   * Bounds the cap by the outage so far: no cap exceeds `outageFactor × outageMs`, though this
   * bound never goes below `initialDelayMs`. Used only when the caller passes `outageMs`; absent or
   * Infinity, the cap grows with the attempt count alone. Expected >= 0.
   */
  readonly outageFactor?: number;
  /** How the delay is spread below its cap. */
  readonly jitter: Jitter;
}

/**
 * The cap for reconnect attempt `attempt` (1 for the first reconnect), in ms:
 * `min(maxDelayMs, initialDelayMs * factor^(attempt - 1))`, and when `outageMs` (how long the
 * outage has lasted so far) is given, also at most `max(initialDelayMs, outageFactor * outageMs)`.
 *
 * Safe for any attempt count: attempt 5000 or 1e9 gives `maxDelayMs`, never Infinity or NaN.
 * Attempts below 1 (and NaN) are treated as 1, because a timer callback must not throw; a negative
 * `outageMs` counts as 0 and a NaN one as absent.
 */
export function backoffCap(attempt: number, policy: BackoffPolicy, outageMs?: number): number {
  return Math.min(attemptCap(attempt, policy), outageCap(policy, outageMs));
}

function attemptCap(attempt: number, policy: BackoffPolicy): number {
  const { initialDelayMs: initial, maxDelayMs: max, factor } = policy;
  if (initial >= max) return max;
  // 0 * factor^k would be NaN once factor^k overflows to Infinity,
  // and 1^Infinity is NaN in JavaScript, so factor 1 must not reach the power either.
  if (initial <= 0 || factor === 1) return initial;
  const exponent = attempt >= 1 ? attempt - 1 : 0;
  // For a huge attempt factor^exponent overflows to Infinity; with initial > 0 the product is
  // +Infinity and min() turns it into maxDelayMs, so no clamp of the exponent can change the
  // result (a fixed clamp such as 1024 would even be wrong for factors barely above 1).
  return Math.min(max, initial * factor ** exponent);
}

/** `max(initialDelayMs, outageFactor * outageMs)`, or Infinity (no bound) without both of them. */
function outageCap(policy: BackoffPolicy, outageMs: number | undefined): number {
  const { initialDelayMs: initial, outageFactor } = policy;
  // Infinity * 0 is NaN, so an unbounded factor must not reach the product.
  if (outageFactor === undefined || outageFactor === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (outageMs === undefined || Number.isNaN(outageMs)) return Number.POSITIVE_INFINITY;
  const grown = outageFactor * Math.max(0, outageMs);
  // NaN here is 0 * Infinity: a factor of 0 bounds the cap at the floor whatever the outage.
  return Number.isNaN(grown) ? initial : Math.max(initial, grown);
}

/**
 * `random` with every draw checked: a draw that throws, or is not a number in [0, 1), is handed to
 * `report` (RS_LISTENER) and replaced by a draw of `Math.random`, so a broken test seam can neither
 * crash a teardown nor collapse every delay to zero (NaN delays would redial in a tight loop).
 * `Math.random` itself is returned as it is.
 */
export function checkedRandom(random: () => number, report: (error: ResilientStreamError) => void): () => number {
  if (random === Math.random) return random;
  return () => {
    let draw: unknown;
    try {
      draw = random();
    } catch (cause) {
      report(new ResilientStreamError('RS_LISTENER', `random threw: ${describe(cause)}; drew from Math.random instead.`, { cause, event: 'random' }));
      return Math.random();
    }
    if (typeof draw === 'number' && draw >= 0 && draw < 1) return draw;
    report(new ResilientStreamError('RS_LISTENER', `Expected random() to return a number in [0, 1), got ${describe(draw)}; drew from Math.random instead.`, { event: 'random' }));
    return Math.random();
  };
}

/** `a + random() * (b - a)`: a uniform draw in [a, b) for a `random` in [0, 1). */
function uniform(a: number, b: number, random: () => number): number {
  return a + random() * (b - a);
}

/**
 * The delay before reconnect attempt `attempt` (1 for the first reconnect), in ms.
 *
 * - `full`: `uniform[0, cap]`; `equal`: `cap/2 + uniform[0, cap/2]`; `none`: `cap`, where cap is
 *   {@link backoffCap} (given `outageMs`, bounded by the outage so far). The cap is applied before
 *   the jitter, so no draw exceeds `maxDelayMs`.
 * - `decorrelated`: `min(maxDelayMs, uniform[initialDelayMs, 3 * previousDelayMs])`, ignoring
 *   `attempt`; pass the delay this function returned last time as `previousDelayMs`
 *   (default `initialDelayMs`, also used for NaN). Given `outageMs`, the upper end of the range is
 *   also at most `max(3 * initialDelayMs, outageFactor * outageMs)`: the bound narrows the range
 *   rather than clamping the draw, and never below the first range, `[initialDelayMs, 3 *
 *   initialDelayMs]`, so clients early in an outage never draw the same delay. The upper end never
 *   drops below `initialDelayMs`, so a tiny previous delay cannot produce a delay under the floor.
 *
 * All formulas are from "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015).
 * `random` must return a number in [0, 1), like `Math.random`.
 * @param outageMs - how long the outage has lasted so far, in ms; omit it for the attempt-only cap.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
  previousDelayMs?: number,
  outageMs?: number,
): number {
  switch (policy.jitter) {
    case 'none':
      return backoffCap(attempt, policy, outageMs);
    case 'full':
      return uniform(0, backoffCap(attempt, policy, outageMs), random);
    case 'equal': {
      const half = backoffCap(attempt, policy, outageMs) / 2;
      return half + uniform(0, half, random);
    }
    case 'decorrelated':
      return decorrelated(policy, random, previousDelayMs, outageMs);
    default:
      // Unreachable for typed callers; resolveOptions() rejects unknown modes first.
      throw new TypeError(
        `Expected \`jitter\` to be one of ${JITTER_MODES.join(', ')}, got ${JSON.stringify(policy.jitter satisfies never)}.`,
      );
  }
}

function decorrelated(policy: BackoffPolicy, random: () => number, previousDelayMs?: number, outageMs?: number): number {
  const { initialDelayMs: initial, maxDelayMs: max } = policy;
  // A previous delay above max cannot come from this function; clamping it keeps 3 * previous
  // finite even if a caller passes Infinity.
  const previous =
    previousDelayMs === undefined || Number.isNaN(previousDelayMs) ? initial : Math.min(previousDelayMs, max);
  // The outage bound alone would be initialDelayMs at the start of an outage, a range of one
  // point: every client of a fleet would redial at the same moment.
  const bound = Math.max(3 * initial, outageCap(policy, outageMs));
  const upper = Math.max(initial, Math.min(3 * previous, bound));
  return Math.min(max, uniform(initial, upper, random));
}
