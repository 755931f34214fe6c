import { describe, expect, it } from 'vitest';
import { StormDetector } from '../../src/storm.js';
import type { StormStart } from '../../src/storm.js';
import { mulberry32 } from '../helpers/random.js';

const WINDOW_MS = 1000;
const detector = (maxReconnects = 2) => new StormDetector({ maxReconnects, windowMs: WINDOW_MS });

/** Records attempts at the given times and returns what each call returned. */
function record(storm: StormDetector, times: number[]): (StormStart | undefined)[] {
  return times.map((t) => storm.recordAttempt(t));
}

describe('StormDetector window edges', () => {
  it('stops counting an attempt exactly windowMs after it, not a millisecond earlier', () => {
    const storm = detector();
    record(storm, [0, 500]);
    expect(storm.count(999)).toBe(2);
    expect(storm.count(1000)).toBe(1);
    expect(storm.count(1499)).toBe(1);
    expect(storm.count(1500)).toBe(0);
  });

  it('does not start a storm when the oldest attempt left the window exactly at now', () => {
    const storm = detector();
    expect(record(storm, [0, 500, 1000])).toEqual([undefined, undefined, undefined]);
    expect(storm.active).toBe(false);
  });

  it('starts a storm when the oldest attempt is windowMs - 1 old', () => {
    const storm = detector();
    expect(record(storm, [0, 500, 999])).toEqual([undefined, undefined, { reconnects: 3, windowMs: WINDOW_MS }]);
    expect(storm.active).toBe(true);
    expect(storm.startedAt).toBe(999);
  });
});

describe('StormDetector thresholds', () => {
  it('tolerates exactly maxReconnects in a window', () => {
    const storm = detector(5);
    expect(record(storm, [0, 1, 2, 3, 4]).every((r) => r === undefined)).toBe(true);
    expect(storm.count(4)).toBe(5);
    expect(storm.active).toBe(false);
    expect(storm.startedAt).toBeUndefined();
  });

  it('fires once on maxReconnects + 1 and stays silent while active', () => {
    const storm = detector(5);
    const results = record(storm, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results[5]).toEqual({ reconnects: 6, windowMs: WINDOW_MS });
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(storm.active).toBe(true);
    expect(storm.startedAt).toBe(5);
  });

  it('with maxReconnects 0 treats the first attempt as a storm', () => {
    const storm = detector(0);
    expect(storm.recordAttempt(42)).toEqual({ reconnects: 1, windowMs: WINDOW_MS });
  });

  it('ignores attempts spread thinner than the threshold, however many', () => {
    const storm = detector(2);
    // 2 attempts per window, forever: never a storm.
    for (let i = 0; i < 10_000; i++) expect(storm.recordAttempt(i * 500)).toBeUndefined();
  });
});

describe('StormDetector end', () => {
  it('reports the attempts from the start of the storm and its duration', () => {
    const storm = detector(2);
    record(storm, [0, 100, 200, 300, 400]); // storm starts at 200
    expect(storm.end(1400)).toEqual({ reconnects: 3, durationMs: 1200 });
    expect(storm.active).toBe(false);
    expect(storm.startedAt).toBeUndefined();
  });

  it('returns undefined and changes nothing when no storm is active', () => {
    const storm = detector(2);
    record(storm, [0, 100]);
    expect(storm.end(150)).toBeUndefined();
    expect(storm.count(150)).toBe(2);
    // The window was kept, so the next attempt still completes a storm.
    expect(storm.recordAttempt(160)).toEqual({ reconnects: 3, windowMs: WINDOW_MS });
  });

  it('clears the window on end, so a new storm needs maxReconnects + 1 fresh attempts', () => {
    const storm = detector(2);
    record(storm, [0, 100, 200, 300, 400]);
    storm.end(500);
    expect(storm.count(500)).toBe(0);
    // Without the clean slate, 300 and 400 would still be in the window and 510 would storm.
    expect(record(storm, [510, 520])).toEqual([undefined, undefined]);
    expect(storm.recordAttempt(530)).toEqual({ reconnects: 3, windowMs: WINDOW_MS });
    expect(storm.startedAt).toBe(530);
  });

  it('fires again for a second storm later and reports each end separately', () => {
    const storm = detector(1);
    expect(record(storm, [0, 10])[1]).toEqual({ reconnects: 2, windowMs: WINDOW_MS });
    expect(storm.end(2000)).toEqual({ reconnects: 1, durationMs: 1990 });
    expect(record(storm, [5000, 5001, 5002, 5003])).toEqual([
      undefined,
      { reconnects: 2, windowMs: WINDOW_MS },
      undefined,
      undefined,
    ]);
    expect(storm.end(9001)).toEqual({ reconnects: 3, durationMs: 4000 });
    expect(storm.end(9002)).toBeUndefined();
  });
});

describe('StormDetector memory and correctness at volume', () => {
  it('keeps at most maxReconnects + 1 timestamps across 1e6 attempts', () => {
    const storm = new StormDetector({ maxReconnects: 3, windowMs: 1e12 });
    let starts = 0;
    for (let i = 0; i < 1_000_000; i++) if (storm.recordAttempt(i) !== undefined) starts++;
    expect(starts).toBe(1);
    // Every attempt is inside the huge window; the count shows only 4 were retained.
    expect(storm.count(1_000_000)).toBe(4);
    expect(storm.end(1_000_000)).toEqual({ reconnects: 999_997, durationMs: 999_997 });
  });

  it('agrees with a full-history reference model on random attempt times', () => {
    const random = mulberry32(99);
    const maxReconnects = 4;
    const storm = new StormDetector({ maxReconnects, windowMs: WINDOW_MS });
    let history: number[] = [];
    let active = false;
    let now = 0;
    let starts = 0;
    for (let i = 0; i < 20_000; i++) {
      now += Math.floor(random() * 600); // bursts and calm stretches, sometimes same-ms attempts
      history.push(now);
      history = history.filter((t) => now - t < WINDOW_MS); // the model keeps only the window
      const expected = !active && history.length > maxReconnects;
      expect(storm.recordAttempt(now) !== undefined, `attempt ${i} at ${now}`).toBe(expected);
      if (expected) {
        active = true;
        starts++;
      }
      expect(storm.count(now)).toBe(Math.min(history.length, maxReconnects + 1));
      if (active && random() < 0.05) {
        expect(storm.end(now)).toBeDefined();
        active = false;
        history = [];
      }
    }
    // The walk must exercise many storms and quiet stretches for the comparison to mean much.
    expect(starts).toBeGreaterThan(20);
    expect(starts).toBeLessThan(5000);
  });
});

describe('StormDetector failure notes', () => {
  it('keeps the last 5 by default, oldest first', () => {
    const storm = detector();
    for (let i = 1; i <= 7; i++) storm.noteFailure({ at: i, code: 1000 + i });
    expect(storm.recentFailures.map((n) => n.at)).toEqual([3, 4, 5, 6, 7]);
    expect(storm.recentFailures[4]).toEqual({ at: 7, code: 1007 });
  });

  it('honours a custom limit, including 0', () => {
    const two = new StormDetector({ maxReconnects: 1, windowMs: 10 }, 2);
    two.noteFailure({ at: 1, error: 'ECONNREFUSED' });
    two.noteFailure({ at: 2, code: 1006 });
    two.noteFailure({ at: 3, code: 1011, error: 'boom' });
    expect(two.recentFailures).toEqual([
      { at: 2, code: 1006 },
      { at: 3, code: 1011, error: 'boom' },
    ]);
    const none = new StormDetector({ maxReconnects: 1, windowMs: 10 }, 0);
    none.noteFailure({ at: 1 });
    expect(none.recentFailures).toEqual([]);
  });

  it('hands out a copy and survives end(), but not reset()', () => {
    const storm = detector(0);
    storm.noteFailure({ at: 1, code: 1006 });
    (storm.recentFailures as unknown as unknown[]).length = 0;
    expect(storm.recentFailures).toHaveLength(1);
    storm.recordAttempt(1);
    storm.end(2);
    expect(storm.recentFailures).toHaveLength(1);
    storm.reset();
    expect(storm.recentFailures).toEqual([]);
  });
});

describe('StormDetector reset and validation', () => {
  it('reset forgets the storm and the window without reporting an end', () => {
    const storm = detector(1);
    record(storm, [0, 1]);
    storm.reset();
    expect(storm.active).toBe(false);
    expect(storm.count(2)).toBe(0);
    expect(storm.end(3)).toBeUndefined();
    expect(record(storm, [4, 5])[1]).toEqual({ reconnects: 2, windowMs: WINDOW_MS });
  });

  it('rejects bad policies with messages naming field and value', () => {
    expect(() => new StormDetector({ maxReconnects: -1, windowMs: 1 })).toThrow(
      'Expected `maxReconnects` to be an integer >= 0, got -1.',
    );
    expect(() => new StormDetector({ maxReconnects: 1.5, windowMs: 1 })).toThrow(RangeError);
    expect(() => new StormDetector({ maxReconnects: Infinity, windowMs: 1 })).toThrow(RangeError);
    expect(() => new StormDetector({ maxReconnects: 1, windowMs: 0 })).toThrow(
      'Expected `windowMs` to be a number > 0, got 0.',
    );
    expect(() => new StormDetector({ maxReconnects: 1, windowMs: Number.NaN })).toThrow(RangeError);
    expect(() => new StormDetector({ maxReconnects: 1, windowMs: 1 }, -2)).toThrow(
      'Expected `recentFailures` to be an integer >= 0, got -2.',
    );
  });
});
