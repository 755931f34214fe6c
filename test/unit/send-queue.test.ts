import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../src/send-queue.js';

const queue = (maxMessages = 3, maxAgeMs = 1000) => new SendQueue<string>({ maxMessages, maxAgeMs });

describe('SendQueue order and overflow', () => {
  it('drains in push order and empties itself', () => {
    const q = queue();
    expect(q.push('a', 0)).toBe(0);
    expect(q.push('b', 1)).toBe(0);
    expect(q.push('c', 2)).toBe(0);
    expect(q.size).toBe(3);
    expect(q.drain(3)).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
    expect(q.drain(4)).toEqual([]);
    expect(q.dropped).toBe(0);
  });

  it('drops the oldest when full and reports one drop per push', () => {
    const q = queue(3);
    for (const [i, item] of ['a', 'b', 'c'].entries()) q.push(item, i);
    expect(q.push('d', 3)).toBe(1);
    expect(q.push('e', 4)).toBe(1);
    expect(q.size).toBe(3);
    expect(q.dropped).toBe(2);
    expect(q.drain(5)).toEqual(['c', 'd', 'e']);
  });

  it('with maxMessages 1 keeps only the newest', () => {
    const q = queue(1);
    expect(q.push('a', 0)).toBe(0);
    expect(q.push('b', 1)).toBe(1);
    expect(q.push('c', 2)).toBe(1);
    expect(q.drain(3)).toEqual(['c']);
    expect(q.dropped).toBe(2);
  });

  it('with maxMessages 0 queues nothing and counts every push as dropped', () => {
    const q = queue(0);
    expect(q.push('a', 0)).toBe(1);
    expect(q.size).toBe(0);
    expect(q.drain(0)).toEqual([]);
    expect(q.dropped).toBe(1);
  });

  it('keeps the newest maxMessages, in order, across a large volume', () => {
    const q = new SendQueue<number>({ maxMessages: 5000, maxAgeMs: Infinity });
    let drops = 0;
    for (let i = 0; i < 1_000_000; i++) drops += q.push(i, i);
    expect(drops).toBe(995_000);
    expect(q.dropped).toBe(995_000);
    expect(q.size).toBe(5000);
    expect(q.drain(2_000_000)).toEqual(Array.from({ length: 5000 }, (_, i) => 995_000 + i));
  });

  it('survives interleaved drains and pushes after compaction', () => {
    const q = new SendQueue<number>({ maxMessages: 3000, maxAgeMs: 10 });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 4000; i++) q.push(round * 10_000 + i, 0);
      expect(q.drain(0)).toEqual(Array.from({ length: 3000 }, (_, i) => round * 10_000 + 1000 + i));
    }
    expect(q.dropped).toBe(5000);
  });
});

describe('SendQueue expiry', () => {
  it('keeps a message exactly maxAgeMs old and drops one a millisecond older', () => {
    const q = queue(10, 1000);
    q.push('old', 0);
    q.push('edge', 1);
    q.push('new', 500);
    expect(q.drain(1001)).toEqual(['edge', 'new']);
    expect(q.dropped).toBe(1);
  });

  it('drain catches an expired message behind a fresher one (clock stepped backwards)', () => {
    const q = queue(10, 1000);
    q.push('fresh', 5000);
    q.push('stale', 100);
    q.push('fresh too', 5001);
    expect(q.drain(5002)).toEqual(['fresh', 'fresh too']);
    expect(q.dropped).toBe(1);
  });

  it('with maxAgeMs 0 keeps only messages enqueued at now', () => {
    const q = queue(10, 0);
    q.push('then', 0);
    q.push('now', 1);
    expect(q.drain(1)).toEqual(['now']);
  });

  it('with maxAgeMs Infinity never expires anything', () => {
    const q = queue(10, Infinity);
    q.push('a', 0);
    expect(q.drain(Number.MAX_SAFE_INTEGER)).toEqual(['a']);
  });
});

describe('SendQueue clear and validation', () => {
  it('clear empties, returns how many, and does not count them as dropped', () => {
    const q = queue(2);
    q.push('a', 0);
    q.push('b', 0);
    q.push('c', 0); // one overflow drop
    expect(q.clear()).toBe(2);
    expect(q.size).toBe(0);
    expect(q.dropped).toBe(1);
    expect(q.clear()).toBe(0);
    q.push('d', 1);
    expect(q.drain(1)).toEqual(['d']);
  });

  it('rejects bad policies naming field and value', () => {
    expect(() => queue(-1)).toThrow('Expected `maxMessages` to be an integer >= 0, got -1.');
    expect(() => queue(1.5)).toThrow(RangeError);
    expect(() => queue(Infinity)).toThrow(RangeError);
    expect(() => queue(1, -1)).toThrow('Expected `maxAgeMs` to be a number >= 0, got -1.');
    expect(() => queue(1, Number.NaN)).toThrow('Expected `maxAgeMs` to be a number >= 0, got NaN.');
  });
});
