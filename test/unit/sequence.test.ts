import { describe, expect, it } from 'vitest';
import { SequenceTracker, planReplay, toRange } from '../../src/sequence.js';
import type { SequenceRange } from '../../src/sequence.js';

/** Runs single-number messages through one key and returns the verdicts. */
function verdicts(tracker: SequenceTracker, key: string, numbers: number[]) {
  return numbers.map((n) => tracker.check(key, n, n));
}

describe('SequenceTracker single numbers', () => {
  it('accepts the first message for a key whatever its number', () => {
    const tracker = new SequenceTracker();
    expect(tracker.check('', 90, 90)).toBe('first');
    expect(tracker.last('')).toBe(90);
  });

  it('accepts L + 1 as in order', () => {
    const tracker = new SequenceTracker();
    expect(verdicts(tracker, '', [1, 2, 3, 4])).toEqual(['first', 'in-order', 'in-order', 'in-order']);
    expect(tracker.last('')).toBe(4);
    expect(tracker.gaps).toBe(0);
    expect(tracker.duplicates).toBe(0);
  });

  it('reports a jump as a gap, records the expected number and moves L to the new number', () => {
    const tracker = new SequenceTracker();
    expect(verdicts(tracker, 'BTC-USD', [90, 91, 95])).toEqual(['first', 'in-order', 'gap']);
    expect(tracker.lastGapExpected).toBe(92);
    expect(tracker.last('BTC-USD')).toBe(95);
    expect(tracker.gaps).toBe(1);
    // The stream continues from the new L after the gap.
    expect(tracker.check('BTC-USD', 96, 96)).toBe('in-order');
  });

  it('reports equal and lower numbers as duplicates and leaves L unchanged', () => {
    const tracker = new SequenceTracker();
    expect(verdicts(tracker, '', [10, 10, 9, 3, 11])).toEqual(['first', 'duplicate', 'duplicate', 'duplicate', 'in-order']);
    expect(tracker.duplicates).toBe(3);
    expect(tracker.last('')).toBe(11);
  });

  it('starts with NaN as lastGapExpected and keeps the latest gap only', () => {
    const tracker = new SequenceTracker();
    expect(tracker.lastGapExpected).toBeNaN();
    verdicts(tracker, '', [1, 5, 20]);
    expect(tracker.lastGapExpected).toBe(6);
    expect(tracker.gaps).toBe(2);
    // A duplicate does not disturb the recorded gap.
    tracker.check('', 2, 2);
    expect(tracker.lastGapExpected).toBe(6);
  });

  it('handles negative and zero sequence numbers', () => {
    const tracker = new SequenceTracker();
    expect(verdicts(tracker, '', [-3, -2, -1, 0, 2, 0])).toEqual([
      'first',
      'in-order',
      'in-order',
      'in-order',
      'gap',
      'duplicate',
    ]);
    expect(tracker.lastGapExpected).toBe(1);
  });

  it('handles numbers near Number.MAX_SAFE_INTEGER exactly', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const tracker = new SequenceTracker();
    expect(verdicts(tracker, '', [max - 3, max - 2, max])).toEqual(['first', 'in-order', 'gap']);
    expect(tracker.lastGapExpected).toBe(max - 1);
    expect(tracker.check('', max, max)).toBe('duplicate');
  });
});

describe('SequenceTracker ranges', () => {
  it('accepts a range starting at L + 1 or straddling it', () => {
    const tracker = new SequenceTracker();
    expect(tracker.check('', 157, 160)).toBe('first');
    expect(tracker.check('', 161, 165)).toBe('in-order');
    expect(tracker.check('', 163, 170)).toBe('in-order'); // overlap [L - 2, L + 5]
    expect(tracker.check('', 171, 171)).toBe('in-order');
    expect(tracker.last('')).toBe(171);
  });

  it('accepts a range ending exactly at L + 1', () => {
    const tracker = new SequenceTracker();
    tracker.check('', 1, 10);
    expect(tracker.check('', 5, 11)).toBe('in-order');
  });

  it('calls a range starting past L + 1 a gap', () => {
    const tracker = new SequenceTracker();
    tracker.check('', 157, 160);
    expect(tracker.check('', 162, 170)).toBe('gap');
    expect(tracker.lastGapExpected).toBe(161);
    expect(tracker.last('')).toBe(170);
  });

  it('calls a range ending at or before L a duplicate', () => {
    const tracker = new SequenceTracker();
    tracker.check('', 157, 160);
    expect(tracker.check('', 150, 160)).toBe('duplicate');
    expect(tracker.check('', 100, 120)).toBe('duplicate');
    expect(tracker.last('')).toBe(160);
  });
});

describe('SequenceTracker keys', () => {
  it('tracks each key independently', () => {
    const tracker = new SequenceTracker();
    expect(tracker.check('BTC-USD', 1, 1)).toBe('first');
    expect(tracker.check('ETH-USD', 500, 500)).toBe('first');
    expect(tracker.check('BTC-USD', 2, 2)).toBe('in-order');
    expect(tracker.check('ETH-USD', 502, 502)).toBe('gap');
    expect(tracker.check('BTC-USD', 2, 2)).toBe('duplicate');
    expect(tracker.last('BTC-USD')).toBe(2);
    expect(tracker.last('ETH-USD')).toBe(502);
    expect(tracker.last('SOL-USD')).toBeUndefined();
  });

  it('set overrides L, e.g. after a snapshot', () => {
    const tracker = new SequenceTracker();
    tracker.check('', 10, 10);
    tracker.set('', 1027024);
    expect(tracker.check('', 1027020, 1027025)).toBe('in-order');
    tracker.set('new', 5);
    expect(tracker.check('new', 6, 6)).toBe('in-order');
  });

  it('delete makes the next message of that key first again; the totals are kept', () => {
    const tracker = new SequenceTracker();
    tracker.check('a', 1, 1);
    tracker.check('b', 1, 1);
    tracker.delete('a');
    expect(tracker.last('a')).toBeUndefined();
    expect(tracker.check('a', 99, 99)).toBe('first');
    expect(tracker.check('b', 2, 2)).toBe('in-order');
    tracker.check('b', 9, 9); // gap
    tracker.check('b', 9, 9); // duplicate
    tracker.delete('b');
    expect(tracker.check('b', 1, 1)).toBe('first');
    // Totals survive delete().
    expect(tracker.gaps).toBe(1);
    expect(tracker.duplicates).toBe(1);
  });
});

describe('planReplay', () => {
  // Binance depth updates [U, u] held while fetching a snapshot with lastUpdateId 1027024.
  const SNAPSHOT = 1027024;

  it('drops events the snapshot covers and accepts the first with U <= S + 1 <= u', () => {
    const held: SequenceRange[] = [
      [1027000, 1027010],
      [1027011, 1027020],
      [1027021, 1027030], // 1027021 <= 1027025 <= 1027030
      [1027031, 1027040],
    ];
    expect(planReplay(held, SNAPSHOT)).toEqual({ ok: true, drop: 2 });
  });

  it('accepts a first remaining event starting exactly at S + 1 or ending exactly there', () => {
    expect(planReplay([[1027025, 1027030]], SNAPSHOT)).toEqual({ ok: true, drop: 0 });
    expect(planReplay([[1027020, 1027025]], SNAPSHOT)).toEqual({ ok: true, drop: 0 });
    expect(planReplay([[1027020, 1027024], [1027025, 1027025]], SNAPSHOT)).toEqual({ ok: true, drop: 1 });
  });

  it('fails when the snapshot is older than the first held U', () => {
    expect(planReplay([[1027026, 1027030]], SNAPSHOT)).toEqual({ ok: false, drop: 0 });
    expect(planReplay([[1027000, 1027010], [1027030, 1027040]], SNAPSHOT)).toEqual({ ok: false, drop: 1 });
  });

  it('is ok with nothing held, or with everything held already in the snapshot', () => {
    expect(planReplay([], SNAPSHOT)).toEqual({ ok: true, drop: 0 });
    expect(planReplay([[1, 5], [6, 1027024]], SNAPSHOT)).toEqual({ ok: true, drop: 2 });
  });

  it('treats single-number messages as [n, n]', () => {
    expect(planReplay([[8, 8], [9, 9], [10, 10], [11, 11]], 9)).toEqual({ ok: true, drop: 2 });
    expect(planReplay([[12, 12]], 9)).toEqual({ ok: false, drop: 0 });
  });

  it('works with negative and large numbers', () => {
    expect(planReplay([[-5, -3], [-2, 0]], -3)).toEqual({ ok: true, drop: 1 });
    const max = Number.MAX_SAFE_INTEGER;
    expect(planReplay([[max - 10, max - 2], [max - 1, max]], max - 2)).toEqual({ ok: true, drop: 1 });
  });

  it('reads ranges through rangeOf from held messages of any shape', () => {
    const held = [{ U: 1027000, u: 1027024 }, { U: 1027025, u: 1027026 }];
    const plan = planReplay(held, SNAPSHOT, (event) => [event.U, event.u]);
    expect(plan).toEqual({ ok: true, drop: 1 });
  });

  it('replays cleanly through a tracker set to the snapshot', () => {
    const held: SequenceRange[] = [
      [1027000, 1027010],
      [1027021, 1027030],
      [1027031, 1027040],
    ];
    const plan = planReplay(held, SNAPSHOT);
    const tracker = new SequenceTracker();
    tracker.set('BNBBTC', SNAPSHOT);
    const replayed = held.slice(plan.drop).map(([first, last]) => tracker.check('BNBBTC', first, last));
    expect(replayed).toEqual(['in-order', 'in-order']);
  });
});

describe('toRange', () => {
  it('accepts safe integers and ordered pairs of them, and undefined as "no sequence"', () => {
    expect(toRange(5)).toEqual([5, 5]);
    expect(toRange([3, 7])).toEqual([3, 7]);
    expect(toRange([7, 7])).toEqual([7, 7]);
    expect(toRange(undefined)).toBeUndefined();
  });

  it.each([['5'], [Number.NaN], [1.5], [2 ** 53], [[7, 3]], [['1', '2']], [[1]], [null], [{}], [Infinity]])(
    'refuses %j rather than guess', (value) => {
      expect(toRange(value)).toBe('invalid');
    });
});
