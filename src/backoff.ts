/**
 * Reconnect delays: exponential growth with a cap, then jitter so a fleet of clients that lost
 * the same server does not come back in lockstep (the thundering herd).
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
  /** How the delay is spread below its cap. */
  readonly jitter: Jitter;
}

/**
 * The cap for reconnect attempt `attempt` (1 for the first reconnect):
 * `min(maxDelayMs, initialDelayMs * factor^(attempt - 1))`, in ms.
 *
 * Safe for any attempt count: attempt 5000 or 1e9 gives `maxDelayMs`, never Infinity or NaN.
 * Attempts below 1 (and NaN) are treated as 1, because a timer callback must not throw.
 */
export function backoffCap(attempt: number, policy: BackoffPolicy): number {
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

/** `a + random() * (b - a)`: a uniform draw in [a, b) for a `random` in [0, 1). */
function uniform(a: number, b: number, random: () => number): number {
  return a + random() * (b - a);
}

/**
 * The delay before reconnect attempt `attempt` (1 for the first reconnect), in ms.
 *
 * - `full`: `uniform[0, cap]`; `equal`: `cap/2 + uniform[0, cap/2]`; `none`: `cap`, where cap is
 *   {@link backoffCap}. The cap is applied before the jitter, so no draw exceeds `maxDelayMs`.
 * - `decorrelated`: `min(maxDelayMs, uniform[initialDelayMs, 3 * previousDelayMs])`, ignoring
 *   `attempt`; pass the delay this function returned last time as `previousDelayMs`
 *   (default `initialDelayMs`, also used for NaN). The upper bound never drops below
 *   `initialDelayMs`, so a tiny previous delay cannot produce a delay under the floor.
 *
 * All formulas are from "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015).
 * `random` must return a number in [0, 1), like `Math.random`.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
  previousDelayMs?: number,
): number {
  switch (policy.jitter) {
    case 'none':
      return backoffCap(attempt, policy);
    case 'full':
      return uniform(0, backoffCap(attempt, policy), random);
    case 'equal': {
      const half = backoffCap(attempt, policy) / 2;
      return half + uniform(0, half, random);
    }
    case 'decorrelated':
      return decorrelated(policy, random, previousDelayMs);
    default:
      // Unreachable for typed callers; resolveOptions() rejects unknown modes first.
      throw new TypeError(
        `Expected \`jitter\` to be one of ${JITTER_MODES.join(', ')}, got ${JSON.stringify(policy.jitter satisfies never)}.`,
      );
  }
}

function decorrelated(policy: BackoffPolicy, random: () => number, previousDelayMs?: number): number {
  const { initialDelayMs: initial, maxDelayMs: max } = policy;
  // A previous delay above max cannot come from this function; clamping it keeps 3 * previous
  // finite even if a caller passes Infinity.
  const previous =
    previousDelayMs === undefined || Number.isNaN(previousDelayMs) ? initial : Math.min(previousDelayMs, max);
  const upper = Math.max(initial, 3 * previous);
  return Math.min(max, uniform(initial, upper, random));
}
