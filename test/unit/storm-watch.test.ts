import { describe, expect, it } from 'vitest';
import { StormWatch } from '../../src/storm-watch.js';
import type { StormEndEvent, StormEvent } from '../../src/events.js';
import type { StormOptions } from '../../src/options.js';
import { FakeClock } from '../helpers/fake-clock.js';

const POLICY: StormOptions = { maxReconnects: 2, windowMs: 1_000, cooldownMs: 250 };

/** A watch on a fake clock that records what it emits. */
function setup(policy: StormOptions | false = POLICY) {
  const clock = new FakeClock(0);
  const storms: StormEvent[] = [];
  const ends: StormEndEvent[] = [];
  const watch = new StormWatch(policy, clock, {
    emit: (_event: 'stormEnd', payload: StormEndEvent) => {
      ends.push(payload);
    },
  });
  /** One flap: the connection fails, a reconnect attempt follows `gapMs` later. */
  const flap = (gapMs = 10): void => {
    watch.failed(1006, new Error('closed with code 1006'));
    clock.advance(gapMs);
    const storm = watch.attempt();
    if (storm !== undefined) storms.push(storm);
  };
  return { clock, watch, storms, ends, flap };
}

describe('StormWatch alerts', () => {
  it('raises one storm on the attempt that exceeds maxReconnects, with failures and no healthy time', () => {
    const { watch, storms, flap } = setup();
    flap();
    flap();
    expect(storms).toEqual([]);
    expect(watch.active).toBe(false);
    flap();
    expect(storms).toEqual([{
      reconnects: 3,
      windowMs: 1_000,
      recentFailures: [0, 10, 20].map((at) => ({ at, code: 1006, error: 'closed with code 1006' })),
      sinceHealthyMs: null,
    }]);
    expect(watch.active).toBe(true);
    for (let i = 0; i < 20; i++) flap();
    expect(storms).toHaveLength(1);
  });

  it('measures sinceHealthyMs from the last healthy connection', () => {
    const { clock, watch, storms, flap } = setup();
    clock.advance(5_000);
    watch.healthy();
    clock.advance(400);
    flap();
    flap();
    flap();
    expect(storms[0]!.sinceHealthyMs).toBe(430);
  });

  it('hands each alert its own copy of the failure notes', () => {
    const { clock, watch, storms, flap } = setup();
    for (let i = 0; i < 3; i++) flap();
    (storms[0]!.recentFailures as { at: number }[])[1]!.at = -1; // the note at 10, still kept below
    watch.opened();
    clock.advance(1_000);
    for (let i = 0; i < 3; i++) flap();
    expect(storms[1]!.recentFailures!.map((note) => note.at)).toEqual([10, 20, 1030, 1040, 1050]);
  });
});

describe('StormWatch calm period', () => {
  it('ends the storm exactly windowMs after the stream opened, not a millisecond earlier', () => {
    const { clock, watch, ends, flap } = setup();
    flap();
    flap();
    flap();
    clock.advance(30);
    watch.opened();
    clock.advance(999);
    expect(ends).toEqual([]);
    expect(watch.active).toBe(true);
    clock.advance(1);
    expect(ends).toEqual([{ reconnects: 1, durationMs: 1_030 }]);
    expect(watch.active).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('restarts the calm period when the connection fails before the window is over', () => {
    const { clock, watch, ends, flap } = setup();
    flap();
    flap();
    flap();
    watch.opened();
    clock.advance(900);
    flap(); // failed() cancels the pending end; attempt() is counted in the same storm
    watch.opened();
    clock.advance(999);
    expect(ends).toEqual([]);
    clock.advance(1);
    expect(ends).toEqual([{ reconnects: 2, durationMs: 1_910 }]);
  });

  it('arms no timer when the stream opens outside a storm, or when alerts are off', () => {
    const quiet = setup();
    quiet.flap();
    quiet.watch.opened();
    expect(quiet.clock.pending).toBe(0);
    const off = setup(false);
    for (let i = 0; i < 10; i++) off.flap();
    off.watch.opened();
    expect(off.storms).toEqual([]);
    expect(off.watch.active).toBe(false);
    expect(off.watch.cooldownMs()).toBe(0);
    expect(off.clock.pending).toBe(0);
  });

  it('re-arms rather than stacks when opened twice, and stop() releases the timer', () => {
    const { clock, watch, ends, flap } = setup();
    flap();
    flap();
    flap();
    watch.opened();
    clock.advance(500);
    watch.opened();
    expect(clock.pending).toBe(1);
    clock.advance(5_000);
    expect(ends).toHaveLength(1);
    flap();
    flap();
    flap();
    watch.opened();
    watch.stop();
    expect(clock.pending).toBe(0);
  });

  it('forgets an active storm on stop(), without a stormEnd', () => {
    const { clock, watch, ends, flap } = setup();
    for (let i = 0; i < 3; i++) flap();
    watch.opened();
    watch.stop();
    expect(watch.active).toBe(false);
    expect(watch.cooldownMs()).toBe(0);
    clock.advance(5_000);
    expect(ends).toEqual([]);
  });

  it('raises a second storm after the first one ended', () => {
    const { clock, watch, storms, ends, flap } = setup();
    for (let i = 0; i < 3; i++) flap();
    watch.opened();
    clock.advance(1_000);
    for (let i = 0; i < 2; i++) flap();
    expect(storms).toHaveLength(1); // the end wiped the window: two fresh attempts are not a storm
    flap();
    expect(storms).toHaveLength(2);
    expect(ends).toHaveLength(1);
  });
});

describe('StormWatch cooldown', () => {
  it('is cooldownMs during a storm and 0 before and after it', () => {
    const { clock, watch, flap } = setup();
    flap();
    flap();
    expect(watch.cooldownMs()).toBe(0);
    flap();
    expect(watch.cooldownMs()).toBe(250);
    watch.opened();
    clock.advance(1_000);
    expect(watch.cooldownMs()).toBe(0);
  });
});
