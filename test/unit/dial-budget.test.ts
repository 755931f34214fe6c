import { describe, expect, it } from 'vitest';
import { DialBudget } from '../../src/pool/dial-budget.js';
import { TokenBucket } from '../../src/token-bucket.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('TokenBucket', () => {
  it('never asks for a wait longer than the longest timer, however small the rate', () => {
    const bucket = new TokenBucket(1e-9, 1, 0);
    expect(bucket.take(0)).toBe(true);
    expect(bucket.waitMs(0)).toBe(2 ** 31 - 1);
  });

  it('starts full, spends one token per event and refills at the rate, up to the burst', () => {
    const bucket = new TokenBucket(5, 5, 0);
    expect([1, 2, 3, 4, 5, 6].map(() => bucket.take(0))).toEqual([true, true, true, true, true, false]);
    expect(bucket.waitMs(0)).toBe(200);
    expect(bucket.take(199)).toBe(false);
    expect(bucket.take(200)).toBe(true);
    // A long quiet period refills only up to the burst.
    expect([...Array(7)].map(() => bucket.take(60_000)).filter(Boolean)).toHaveLength(5);
  });

  it('holds its token at exactly the wait it named, with fractional rates', () => {
    const bucket = new TokenBucket(3, 1, 1_000);
    expect(bucket.take(1_000)).toBe(true);
    const waitMs = bucket.waitMs(1_000);
    expect(waitMs).toBe(334);
    expect(bucket.take(1_000 + waitMs)).toBe(true);
  });

  it('adds nothing when the clock goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 10_000);
    expect(bucket.take(10_000)).toBe(true);
    expect(bucket.take(5_000)).toBe(false);
    expect(bucket.waitMs(10_000)).toBe(1_000);
  });
});

describe('DialBudget', () => {
  /** Starts `count` acquisitions and records when each is granted (fake-clock ms since start). */
  function race(budget: DialBudget, clock: FakeClock, count: number, signals: Array<AbortSignal | undefined> = []) {
    const start = clock.now();
    const granted: Array<number | string> = Array(count).fill('pending');
    const settled = [...Array(count)].map((_, i) =>
      budget.acquire(signals[i]).then(
        () => void (granted[i] = clock.now() - start),
        () => void (granted[i] = 'aborted'),
      ));
    return { granted, settled };
  }

  it('spaces dials evenly, first come first served, the first at once', async () => {
    const clock = new FakeClock();
    const budget = new DialBudget(4, clock);
    const { granted } = race(budget, clock, 4);
    await Promise.resolve();
    expect(granted).toEqual([0, 'pending', 'pending', 'pending']);
    for (let i = 0; i < 3; i++) {
      clock.advance(250);
      await flush();
    }
    expect(granted).toEqual([0, 250, 500, 750]);
    expect(clock.pending).toBe(0);
  });

  it('lets a dial go at once after a quiet period, but never two at once', async () => {
    const clock = new FakeClock();
    const budget = new DialBudget(2, clock);
    clock.advance(10_000);
    const { granted } = race(budget, clock, 2);
    await flush();
    expect(granted).toEqual([0, 'pending']);
    clock.advance(500);
    await flush();
    expect(granted).toEqual([0, 500]);
  });

  it('an aborted wait leaves the queue without spending a token, and the last one leaving clears the timer', async () => {
    const clock = new FakeClock();
    const budget = new DialBudget(1, clock);
    const first = new AbortController();
    const second = new AbortController();
    const { granted } = race(budget, clock, 3, [undefined, first.signal, second.signal]);
    second.abort(new Error('closed'));
    await flush();
    expect(granted).toEqual([0, 'pending', 'aborted']);
    clock.advance(1_000);
    await flush();
    expect(granted).toEqual([0, 1_000, 'aborted']);

    const third = new AbortController();
    const late = race(budget, clock, 1, [third.signal]);
    expect(clock.pending).toBe(1);
    third.abort();
    await flush();
    expect(late.granted).toEqual(['aborted']);
    expect(clock.pending).toBe(0);
    // Nothing was spent by the aborted wait: the next dial goes one interval after the last grant.
    clock.advance(1_000);
    const next = race(budget, clock, 1);
    await flush();
    expect(next.granted).toEqual([0]);
  });

  it('rejects at once for a signal that is already aborted', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(new DialBudget(1, clock).acquire(controller.signal)).rejects.toThrow('gone');
    expect(clock.pending).toBe(0);
  });
});

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
