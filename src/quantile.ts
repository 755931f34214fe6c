/**
 * Streaming quantile estimation in O(1) memory, for latency percentiles on the message path.
 *
 * Implements the P-square algorithm: R. Jain and I. Chlamtac, "The P2 algorithm for dynamic
 * calculation of quantiles and histograms without storing observations", Communications of the
 * ACM 28(10), 1985. Five markers track the minimum, p/2, p, (1+p)/2 and the maximum; each new
 * sample shifts marker positions, and a marker that drifts a whole position from where it should
 * be moves by a piecewise-parabolic (or, failing that, linear) interpolation of its neighbours.
 *
 * Pure: no timers, no I/O.
 */

const MARKERS = 5;

/**
 * Streaming estimate of the p-quantile of everything passed to {@link add}.
 *
 * `add` is O(1) and allocates nothing. Non-finite samples (NaN, ±Infinity) are ignored and
 * counted in {@link ignored}: one of them would poison every marker for good.
 */
export class P2Quantile {
  readonly #p: number;
  /** Marker heights: estimates of the min, p/2, p, (1+p)/2 quantiles and the max. */
  readonly #heights = new Float64Array(MARKERS);
  /** Actual marker positions, 1-based ranks among the samples seen (as in the paper). */
  readonly #positions = new Float64Array(MARKERS);
  /** Desired marker positions, fractional. */
  readonly #desired = new Float64Array(MARKERS);
  /** How much each desired position advances per sample. */
  readonly #increments: Float64Array;
  #count = 0;
  #ignored = 0;

  /** @param p - the quantile to estimate, strictly between 0 and 1 (0.99 for p99); else RangeError. */
  constructor(p: number) {
    if (!(p > 0 && p < 1)) {
      throw new RangeError(`Expected \`p\` to be a number between 0 and 1 (exclusive), got ${String(p)}.`);
    }
    this.#p = p;
    this.#increments = Float64Array.of(0, p / 2, p, (1 + p) / 2, 1);
  }

  /** The quantile this instance estimates. */
  get p(): number {
    return this.#p;
  }

  /** Finite samples added since construction or the last {@link reset}. */
  get count(): number {
    return this.#count;
  }

  /** Non-finite samples refused since construction or the last {@link reset}. */
  get ignored(): number {
    return this.#ignored;
  }

  /** Adds one sample. */
  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.#ignored++;
      return;
    }
    if (this.#count < MARKERS) {
      this.#insertInitial(x);
      return;
    }
    this.#count++;
    const cell = this.#locate(x);
    const positions = this.#positions;
    for (let i = cell + 1; i < MARKERS; i++) positions[i]! += 1;
    for (let i = 0; i < MARKERS; i++) this.#desired[i]! += this.#increments[i]!;
    for (let i = 1; i < MARKERS - 1; i++) this.#adjust(i);
  }

  /**
   * The current estimate: undefined before any sample; with 1 to 5 samples the exact
   * nearest-rank quantile (the ⌈p·n⌉-th smallest), since all of them are still stored;
   * from the 6th sample on the P-square estimate.
   */
  value(): number | undefined {
    const count = this.#count;
    if (count === 0) return undefined;
    if (count <= MARKERS) return this.#heights[Math.max(0, Math.ceil(this.#p * count) - 1)];
    return this.#heights[2];
  }

  /** Forgets every sample. */
  reset(): void {
    this.#count = 0;
    this.#ignored = 0;
  }

  /** Keeps the first five samples sorted in the marker heights (insertion sort, at most 4 moves). */
  #insertInitial(x: number): void {
    const heights = this.#heights;
    let i = this.#count;
    while (i > 0 && heights[i - 1]! > x) {
      heights[i] = heights[i - 1]!;
      i--;
    }
    heights[i] = x;
    this.#count++;
    if (this.#count < MARKERS) return;
    const p = this.#p;
    const desired = this.#desired;
    for (let i = 0; i < MARKERS; i++) this.#positions[i] = i + 1;
    desired[0] = 1;
    desired[1] = 1 + 2 * p;
    desired[2] = 1 + 4 * p;
    desired[3] = 3 + 2 * p;
    desired[4] = 5;
  }

  /** Finds the cell k (heights[k] <= x < heights[k + 1]) of x, stretching the extremes to fit it. */
  #locate(x: number): number {
    const heights = this.#heights;
    if (x < heights[0]!) {
      heights[0] = x;
      return 0;
    }
    if (x >= heights[4]!) {
      heights[4] = x;
      return 3;
    }
    if (x < heights[1]!) return 0;
    if (x < heights[2]!) return 1;
    return x < heights[3]! ? 2 : 3;
  }

  /** Moves middle marker i one position toward its desired position when it lags by >= 1. */
  #adjust(i: number): void {
    const heights = this.#heights;
    const positions = this.#positions;
    const n = positions[i]!;
    const nBelow = positions[i - 1]!;
    const nAbove = positions[i + 1]!;
    const drift = this.#desired[i]! - n;
    // Only move when a neighbour is at least two positions away, so markers never collide.
    if (!((drift >= 1 && nAbove - n > 1) || (drift <= -1 && nBelow - n < -1))) return;
    const step = drift > 0 ? 1 : -1;
    const q = heights[i]!;
    const qBelow = heights[i - 1]!;
    const qAbove = heights[i + 1]!;
    const parabolic =
      q +
      (step / (nAbove - nBelow)) *
        (((n - nBelow + step) * (qAbove - q)) / (nAbove - n) + ((nAbove - n - step) * (q - qBelow)) / (n - nBelow));
    if (qBelow < parabolic && parabolic < qAbove) {
      heights[i] = parabolic;
    } else {
      // The parabola overshot a neighbour (non-monotone); fall back to linear interpolation.
      heights[i] = step > 0 ? q + (qAbove - q) / (nAbove - n) : q - (qBelow - q) / (nBelow - n);
    }
    positions[i] = n + step;
  }
}
