/**
 * A seeded pseudo-random source, so two feed servers built with the same seed produce the same
 * prices, quantities and book updates: a failing test can be replayed exactly.
 */
export type Random = () => number;

/**
 * Returns a deterministic generator of floats in [0, 1).
 *
 * Uses mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast and well distributed for
 * simulation; not for anything that needs cryptographic strength.
 *
 * @param seed - Any integer; the same seed gives the same sequence.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [min, max], both inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A stable 32-bit hash of a string (FNV-1a), used to give each symbol its own price level. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
