import { describe, expect, it } from 'vitest';
import { compareDecimal } from '../../src/venues/decimal.js';

describe('compareDecimal', () => {
  it('keeps exponent notation, within a bounded exponent (a huge one was written out in full: a second and 600 MB)', () => {
    expect(compareDecimal('1e2', '100.0')).toBe(0);
    expect(compareDecimal('1.5e-3', '0.0015')).toBe(0);
    const started = performance.now();
    expect(() => compareDecimal('1e300000000', '1')).toThrow(RangeError);
    expect(() => compareDecimal('1', '1e-300000000')).toThrow(RangeError);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
