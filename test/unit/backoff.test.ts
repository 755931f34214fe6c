import { describe, expect, it } from 'vitest';
import { JITTER_MODES, backoffCap, backoffDelay } from '../../src/backoff.js';
import type { BackoffPolicy, Jitter } from '../../src/backoff.js';
import { constant, mulberry32 } from '../helpers/random.js';

const policy = (jitter: Jitter, overrides: Partial<BackoffPolicy> = {}): BackoffPolicy => ({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter,
  ...overrides,
});

/** Attempts 1..40 plus the pathological counts a stream left reconnecting for days can reach. */
const ATTEMPTS = [...Array.from({ length: 40 }, (_, i) => i + 1), 5000, 1e9];
const ALMOST_ONE = 0.999999;

describe('backoffCap', () => {
  it('grows by factor per attempt from initialDelayMs', () => {
    const p = policy('none');
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCap(n, p))).toEqual([500, 1000, 2000, 4000, 8000, 16_000]);
  });

  it('is clamped to maxDelayMs once the exponential passes it', () => {
    const p = policy('none');
    expect(backoffCap(7, p)).toBe(30_000); // 500 * 64 = 32 000 > 30 000
    expect(backoffCap(40, p)).toBe(30_000);
  });

  it('stays finite and equal to maxDelayMs for attempt 5000, 1e9 and Infinity', () => {
    for (const factor of [1.01, 1.5, 2, 10, 1e6]) {
      const p = policy('none', { factor });
      for (const attempt of [5000, 1e9, Number.MAX_SAFE_INTEGER, Infinity]) {
        expect(backoffCap(attempt, p), `factor ${factor} attempt ${attempt}`).toBe(30_000);
      }
    }
  });

  it('reaches maxDelayMs for a factor barely above 1 instead of stalling at a clamped exponent', () => {
    // 1.0001^(1e9) is astronomically large; a naive exponent clamp (say 1024) would give 552 ms.
    expect(backoffCap(1e9, policy('none', { factor: 1.0001 }))).toBe(30_000);
    expect(backoffCap(1000, policy('none', { factor: 1.0001 }))).toBeCloseTo(500 * 1.0001 ** 999, 9);
  });

  it('with factor 1 is initialDelayMs for every attempt', () => {
    const p = policy('none', { factor: 1 });
    // Infinity included: 1 ** Infinity is NaN in JavaScript.
    for (const attempt of [...ATTEMPTS, Infinity]) expect(backoffCap(attempt, p)).toBe(500);
  });

  it('never exceeds maxDelayMs even when initialDelayMs does', () => {
    const p = policy('none', { initialDelayMs: 60_000 });
    expect(backoffCap(1, p)).toBe(30_000);
    expect(backoffCap(1e9, p)).toBe(30_000);
  });

  it('with initialDelayMs 0 is 0 for every attempt, never NaN', () => {
    const p = policy('none', { initialDelayMs: 0 });
    for (const attempt of [...ATTEMPTS, Infinity]) expect(backoffCap(attempt, p)).toBe(0);
  });

  it('treats attempts below 1 and NaN as the first attempt', () => {
    const p = policy('none');
    expect(backoffCap(0, p)).toBe(500);
    expect(backoffCap(-3, p)).toBe(500);
    expect(backoffCap(Number.NaN, p)).toBe(500);
  });
});

describe('backoffCap bounded by the outage so far', () => {
  const p = policy('none', { outageFactor: 2 });

  it('is at most outageFactor x outageMs, never below initialDelayMs, never above the attempt cap', () => {
    // attempt 6 alone would allow 16 000 ms; 2 s into the outage the cap is 4 000 ms.
    expect(backoffCap(6, p, 2_000)).toBe(4_000);
    expect(backoffCap(6, p, 0)).toBe(500);
    expect(backoffCap(6, p, 100)).toBe(500);
    // A long outage: the attempt cap (then maxDelayMs) is the smaller one again.
    expect(backoffCap(2, p, 60_000)).toBe(1_000);
    expect(backoffCap(40, p, 60_000)).toBe(30_000);
    expect(backoffCap(40, p, 1e12)).toBe(30_000);
  });

  it('without outageMs, without outageFactor or with outageFactor Infinity, grows with attempts alone', () => {
    expect(backoffCap(6, p)).toBe(16_000);
    expect(backoffCap(6, policy('none'), 2_000)).toBe(16_000);
    expect(backoffCap(6, policy('none', { outageFactor: Infinity }), 0)).toBe(16_000);
    expect(backoffCap(6, p, Number.NaN)).toBe(16_000);
  });

  it('never NaN: a factor of 0 or an infinite outage, a negative outage counted as 0', () => {
    const zero = policy('none', { outageFactor: 0 });
    expect(backoffCap(6, zero, 2_000)).toBe(500);
    expect(backoffCap(6, zero, Infinity)).toBe(500);
    expect(backoffCap(6, p, Infinity)).toBe(16_000);
    expect(backoffCap(6, p, -5_000)).toBe(500);
    expect(backoffCap(6, policy('none', { outageFactor: 2, initialDelayMs: 0 }), 0)).toBe(0);
    expect(backoffCap(6, policy('none', { outageFactor: 2, initialDelayMs: 60_000 }), 0)).toBe(30_000);
  });

  it('bounds every jitter mode: full and equal draw below it, none is it', () => {
    const random = mulberry32(5);
    for (const jitter of ['full', 'equal', 'none'] as const) {
      const q = policy(jitter, { outageFactor: 2 });
      for (let i = 0; i < 2_000; i++) {
        const outageMs = random() * 20_000;
        const attempt = 1 + Math.floor(random() * 12);
        const delay = backoffDelay(attempt, q, random, undefined, outageMs);
        expect(delay).toBeLessThanOrEqual(Math.max(500, 2 * outageMs));
        expect(delay).toBeLessThanOrEqual(backoffCap(attempt, q));
      }
    }
    expect(backoffDelay(6, policy('full', { outageFactor: 2 }), constant(0.5), undefined, 2_000)).toBe(2_000);
    expect(backoffDelay(6, policy('equal', { outageFactor: 2 }), constant(0), undefined, 2_000)).toBe(2_000);
  });

  it('decorrelated: bounds the range, not the draw, so draws spread below the bound instead of piling on it', () => {
    const q = policy('decorrelated', { outageFactor: 2 });
    // previous 10 000 would allow up to 30 000; 2 s into the outage the range is [500, 4 000].
    expect(backoffDelay(1, q, constant(0), 10_000, 2_000)).toBe(500);
    expect(backoffDelay(1, q, constant(0.5), 10_000, 2_000)).toBe(2_250);
    expect(backoffDelay(1, q, constant(ALMOST_ONE), 10_000, 2_000)).toBeCloseTo(500 + 3_500 * ALMOST_ONE, 9);
    const random = mulberry32(6);
    const draws = Array.from({ length: 1_000 }, () => backoffDelay(1, q, random, 10_000, 2_000));
    expect(draws.filter((d) => d === 4_000)).toHaveLength(0);
    expect(Math.max(...draws)).toBeGreaterThan(3_900);
  });

  it('decorrelated: early in an outage the range stays its first one, [initialDelayMs, 3 x initialDelayMs], never one point', () => {
    const q = policy('decorrelated', { outageFactor: 2 });
    for (const outageMs of [0, 100, 700]) {
      expect(backoffDelay(1, q, constant(0), 10_000, outageMs)).toBe(500);
      expect(backoffDelay(1, q, constant(0.5), 10_000, outageMs)).toBe(1_000);
    }
    // The chain's own growth still applies: a previous delay of 200 keeps the range at [500, 600].
    expect(backoffDelay(1, q, constant(0.5), 200, 0)).toBe(550);
  });
});

describe('backoffDelay bounds with a seeded random', () => {
  const DRAWS_PER_ATTEMPT = 200; // 42 attempts x 200 = 8400 draws per mode

  it('none is exactly the cap', () => {
    const p = policy('none');
    const random = mulberry32(1);
    for (const attempt of ATTEMPTS) expect(backoffDelay(attempt, p, random)).toBe(backoffCap(attempt, p));
  });

  it('full stays within [0, cap]', () => {
    const p = policy('full');
    const random = mulberry32(2);
    for (const attempt of ATTEMPTS) {
      const cap = backoffCap(attempt, p);
      for (let i = 0; i < DRAWS_PER_ATTEMPT; i++) {
        const delay = backoffDelay(attempt, p, random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('equal stays within [cap/2, cap]', () => {
    const p = policy('equal');
    const random = mulberry32(3);
    for (const attempt of ATTEMPTS) {
      const cap = backoffCap(attempt, p);
      for (let i = 0; i < DRAWS_PER_ATTEMPT; i++) {
        const delay = backoffDelay(attempt, p, random);
        expect(delay).toBeGreaterThanOrEqual(cap / 2);
        expect(delay).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('decorrelated stays within [initialDelayMs, min(maxDelayMs, 3 x previous)] along a chain', () => {
    const p = policy('decorrelated');
    const random = mulberry32(4);
    let previous: number | undefined;
    let sawMax = false;
    for (const attempt of ATTEMPTS) {
      for (let i = 0; i < DRAWS_PER_ATTEMPT; i++) {
        const delay = backoffDelay(attempt, p, random, previous);
        const upper = Math.min(30_000, 3 * (previous ?? 500));
        expect(delay).toBeGreaterThanOrEqual(500);
        expect(delay).toBeLessThanOrEqual(upper);
        if (delay === 30_000) sawMax = true;
        previous = delay;
      }
    }
    // The chain must actually climb to the cap, or the bound above proves little.
    expect(sawMax).toBe(true);
  });
});

describe('backoffDelay range ends', () => {
  const p = (jitter: Jitter) => policy(jitter);

  it('full: random 0 gives 0 and random -> 1 gives the cap', () => {
    expect(backoffDelay(3, p('full'), constant(0))).toBe(0);
    expect(backoffDelay(3, p('full'), constant(ALMOST_ONE))).toBeCloseTo(2000 * ALMOST_ONE, 9);
    expect(backoffDelay(1e9, p('full'), constant(ALMOST_ONE))).toBeCloseTo(30_000 * ALMOST_ONE, 9);
  });

  it('equal: random 0 gives cap/2 and random -> 1 gives the cap', () => {
    expect(backoffDelay(3, p('equal'), constant(0))).toBe(1000);
    expect(backoffDelay(3, p('equal'), constant(ALMOST_ONE))).toBeCloseTo(1000 + 1000 * ALMOST_ONE, 9);
    expect(backoffDelay(5000, p('equal'), constant(0))).toBe(15_000);
  });

  it('decorrelated: random 0 gives initialDelayMs and random -> 1 gives 3 x previous', () => {
    expect(backoffDelay(1, p('decorrelated'), constant(0), 4000)).toBe(500);
    expect(backoffDelay(1, p('decorrelated'), constant(ALMOST_ONE), 4000)).toBeCloseTo(500 + 11_500 * ALMOST_ONE, 9);
    // Without a previous delay the range is [initial, 3 x initial].
    expect(backoffDelay(1, p('decorrelated'), constant(ALMOST_ONE))).toBeCloseTo(500 + 1000 * ALMOST_ONE, 9);
  });

  it('none ignores random entirely', () => {
    expect(backoffDelay(2, p('none'), constant(0))).toBe(1000);
    expect(backoffDelay(2, p('none'), constant(ALMOST_ONE))).toBe(1000);
  });
});

describe('backoffDelay semantics', () => {
  it('applies the cap before the jitter, so a capped attempt still spreads over [0, max]', () => {
    // Jitter first then cap would give min(30 000, 500 * 2^39 * 0.5) = 30 000.
    expect(backoffDelay(40, policy('full'), constant(0.5))).toBe(15_000);
    expect(backoffDelay(40, policy('equal'), constant(0.5))).toBe(22_500);
  });

  it('decorrelated grows from its previous value, not from the attempt number', () => {
    const p = policy('decorrelated');
    const half = constant(0.5);
    // uniform[500, 3 * previous] at its midpoint
    expect(backoffDelay(1, p, half, 1000)).toBe(1750);
    expect(backoffDelay(1, p, half, 4000)).toBe(6250);
    expect(backoffDelay(30, p, half, 1000)).toBe(1750);
  });

  it('decorrelated climbs geometrically to maxDelayMs and stays there with random -> 1', () => {
    const p = policy('decorrelated');
    const high = constant(ALMOST_ONE);
    const chain: number[] = [];
    let previous: number | undefined;
    for (let attempt = 1; attempt <= 8; attempt++) {
      previous = backoffDelay(attempt, p, high, previous);
      chain.push(Math.round(previous));
    }
    expect(chain).toEqual([1500, 4500, 13_500, 30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('decorrelated never goes below initialDelayMs, even from a tiny or missing previous', () => {
    const p = policy('decorrelated');
    expect(backoffDelay(1, p, constant(ALMOST_ONE), 0)).toBe(500);
    expect(backoffDelay(1, p, constant(0.5), 10)).toBe(500);
    expect(backoffDelay(1, p, constant(0.5), Number.NaN)).toBe(1000);
  });

  it('decorrelated never exceeds maxDelayMs, even from an absurd previous', () => {
    const p = policy('decorrelated');
    expect(backoffDelay(1, p, constant(ALMOST_ONE), 1e12)).toBe(30_000);
    expect(backoffDelay(1, p, constant(0), Infinity)).toBe(500);
    expect(backoffDelay(1, p, constant(ALMOST_ONE), Infinity)).toBe(30_000);
  });

  it('full jitter has mean cap/2 and spreads across the whole range (statistical, fixed seed)', () => {
    const p = policy('full');
    const random = mulberry32(20_250_101);
    const n = 20_000;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const delay = backoffDelay(10, p, random);
      sum += delay;
      min = Math.min(min, delay);
      max = Math.max(max, delay);
    }
    // Standard error of the mean is 30 000 / sqrt(12 n) ~ 61 ms; 600 ms is about 10 of them.
    expect(Math.abs(sum / n - 15_000)).toBeLessThan(600);
    expect(min).toBeLessThan(300);
    expect(max).toBeGreaterThan(29_700);
  });

  it('equal jitter has mean 3/4 of the cap (statistical, fixed seed)', () => {
    const random = mulberry32(7);
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += backoffDelay(10, policy('equal'), random);
    expect(Math.abs(sum / n - 22_500)).toBeLessThan(300);
  });

  it('rejects an unknown jitter mode with a message naming it', () => {
    const bad = { ...policy('full'), jitter: 'fuzzy' as Jitter };
    expect(() => backoffDelay(1, bad, constant(0))).toThrow(
      'Expected `jitter` to be one of full, equal, decorrelated, none, got "fuzzy".',
    );
  });

  it('lists every jitter mode', () => {
    expect([...JITTER_MODES].sort()).toEqual(['decorrelated', 'equal', 'full', 'none']);
    expect(Object.isFrozen(JITTER_MODES)).toBe(true);
  });
});
