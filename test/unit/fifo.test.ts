import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/fifo.js';

describe('Fifo', () => {
  it('is first in, first out', () => {
    const fifo = new Fifo<string>();
    fifo.push('a');
    fifo.push('b');
    expect(fifo.size).toBe(2);
    expect(fifo.shift()).toBe('a');
    expect(fifo.shift()).toBe('b');
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.size).toBe(0);
  });

  it('drains everything in order and is empty afterwards', () => {
    const fifo = new Fifo<number>();
    for (const n of [1, 2, 3]) fifo.push(n);
    fifo.shift();
    expect(fifo.drain()).toEqual([2, 3]);
    expect(fifo.size).toBe(0);
    fifo.push(4);
    expect(fifo.drain()).toEqual([4]);
  });

  it('keeps order through many push/shift cycles (compaction)', () => {
    const fifo = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 200; round++) {
      while (fifo.size < 3000) fifo.push(next++);
      for (let i = 0; i < 1700; i++) expect(fifo.shift()).toBe(expected++);
    }
    expect(fifo.drain()).toEqual(Array.from({ length: 1300 }, (_, i) => expected + i));
  });

  it('clear() forgets everything', () => {
    const fifo = new Fifo<number>();
    fifo.push(1);
    fifo.clear();
    expect(fifo.size).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });
});
