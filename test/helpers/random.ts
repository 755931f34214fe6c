/**
 * mulberry32, a tiny 32-bit seeded PRNG: the same generator the feed server uses, so statistical
 * unit tests are repeatable. Same contract as `Math.random`: a float in [0, 1).
 */
export { seededRandom as mulberry32 } from '../../src/testing/random.js';

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
