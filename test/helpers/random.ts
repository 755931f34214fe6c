/**
 * mulberry32: a tiny 32-bit seeded PRNG, good enough to make statistical unit tests repeatable.
 * Returns a function with the same contract as `Math.random`: a float in [0, 1).
 * The same seed always yields the same sequence, so a test that passes once passes forever.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // 2^32: maps the unsigned 32-bit result onto [0, 1) with 1 itself unreachable.
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A `random` that always returns `value`: pins a jitter draw to one end of its range. */
export function constant(value: number): () => number {
  return () => value;
}

/** Exponentially distributed sample with the given mean (inverse CDF of a uniform draw). */
export function exponential(random: () => number, mean: number): number {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  return -Math.log(1 - random()) * mean;
}

/** Pareto(scale, shape) sample: heavy-tailed for small shapes (shape 1.5 has infinite variance). */
export function pareto(random: () => number, scale: number, shape: number): number {
  return scale / (1 - random()) ** (1 / shape);
}
