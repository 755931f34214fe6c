import { describe, expect, it } from 'vitest';
import { callHook } from '../../src/hook-call.js';
import { planBackfill, type SequenceRange } from '../../src/sequence.js';
import { MAX_TOPIC_FAILURES, TopicHold, topicRetryDelayMs } from '../../src/topic-hold.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('planBackfill', () => {
  it('takes fetched messages in order of first, skipping repeats, old ones and ones the held messages have', () => {
    // after 10, before 15: 11..14 are the hole.
    const ranges: (SequenceRange | undefined)[] = [[13, 13], [11, 11], [12, 12], [11, 11], [20, 20], [9, 9], undefined, [15, 15]];
    expect(planBackfill(ranges, 10, 15)).toEqual({ order: [1, 2, 0], covered: 3, missing: 1, last: 13 });
  });

  it('is whole when everything arrives, and missing everything when nothing does', () => {
    expect(planBackfill([[11, 11], [12, 12]], 10, 13)).toEqual({ order: [0, 1], covered: 2, missing: 0, last: 12 });
    expect(planBackfill([], 10, 13)).toEqual({ order: [], covered: 0, missing: 2, last: 10 });
  });

  it('counts ranges by the numbers they cover inside the hole, overlaps once', () => {
    // [8, 12] reaches back before the hole; [12, 16] overlaps it; 17..19 never come.
    expect(planBackfill([[12, 16], [8, 12]], 10, 20)).toEqual({ order: [1, 0], covered: 6, missing: 3, last: 16 });
  });

  it('keeps the fetch order for equal ranges (a stable choice among duplicates)', () => {
    expect(planBackfill([[11, 11], [11, 11]], 10, 12).order).toEqual([0]);
  });
});

describe('per-topic retry delays', () => {
  it('are 100 ms, then 200 ms, and give up at the third failure', () => {
    expect([1, 2, 3].map(topicRetryDelayMs)).toEqual([100, 200, 400]);
    expect(MAX_TOPIC_FAILURES).toBe(3);
  });
});

describe('TopicHold', () => {
  it('waits on the clock, and cancel() ends the wait at once and aborts the running hook', async () => {
    const clock = new FakeClock();
    const hold = new TopicHold<string>('a', 1, clock);
    let woke = 0;
    void hold.wait(100).then(() => woke++);
    clock.advance(99);
    await Promise.resolve();
    expect(woke).toBe(0);
    clock.advance(1);
    await Promise.resolve();
    expect(woke).toBe(1);

    void hold.wait(100).then(() => woke++);
    hold.abort = new AbortController();
    const { signal } = hold.abort;
    hold.cancel('gone');
    await Promise.resolve();
    expect([woke, signal.aborted, signal.reason, clock.pending, hold.abort]).toEqual([2, true, 'gone', 0, undefined]);
  });
});

describe('callHook', () => {
  it('settles ok with the value', async () => {
    const clock = new FakeClock();
    expect(await callHook(() => 42, new AbortController(), 'resync', 100, clock)).toEqual({ ok: true, value: 42 });
    expect(clock.pending).toBe(0);
  });

  it('turns a throw into RS_RESYNC naming the hook, and aborts its signal', async () => {
    const abort = new AbortController();
    const outcome = await callHook(() => {
      throw new Error('500');
    }, abort, 'backfill', 100, new FakeClock());
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect([outcome.error.code, outcome.error.message]).toEqual(['RS_RESYNC', 'The backfill hook failed: 500']);
    expect(abort.signal.reason).toBe(outcome.error);
  });

  it('times out a hook that ignores its signal after timeoutMs', async () => {
    const clock = new FakeClock();
    const abort = new AbortController();
    const pending = callHook(() => new Promise<never>(() => {}), abort, 'backfill', 250, clock);
    clock.advance(249);
    expect(abort.signal.aborted).toBe(false);
    clock.advance(1);
    const outcome = await pending;
    expect(outcome.ok ? undefined : outcome.error.message).toBe('Expected the backfill hook to finish within 250 ms (resyncTimeoutMs).');
  });
});
