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

  it('refuses what is not a non-negative decimal string with a TypeError naming it (it compared "abc" as something)', () => {
    for (const bad of ['abc', '-5', '', '1.2.3', 'e5', '0x10', 'NaN', ' ']) {
      expect(() => compareDecimal(bad, '1'), bad).toThrow(TypeError);
      expect(() => compareDecimal('1', bad), bad).toThrow(TypeError);
    }
    expect(() => compareDecimal(5 as never, '1')).toThrow('Expected a non-negative decimal string such as "0.01" or "1e-3", got number.');
    expect(compareDecimal('+.5', '0.50')).toBe(0);
    expect(compareDecimal(' 2 ', '10')).toBeLessThan(0);
    expect(compareDecimal('1.', '1')).toBe(0);
  });
});
