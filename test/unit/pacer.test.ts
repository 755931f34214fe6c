import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/pacer.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(messagesPerSecond: number, burst: number) {
  const clock = new FakeClock(0);
  const sent: Array<[string, number]> = [];
  const pacer = new Pacer<string>({ messagesPerSecond, burst, countControlFrames: true }, clock, (frame) => sent.push([frame, clock.now()]));
  return { clock, sent, pacer };
}

describe('Pacer', () => {
  it('sends a burst at once, then one frame per 1/rate, in order', () => {
    const { clock, sent, pacer } = setup(5, 2);
    for (const frame of ['a', 'b', 'c', 'd', 'e']) pacer.submit(frame, true);
    expect(sent).toEqual([['a', 0], ['b', 0]]);
    clock.advance(1_000);
    expect(sent).toEqual([['a', 0], ['b', 0], ['c', 200], ['d', 400], ['e', 600]]);
    expect(pacer.stop()).toEqual([]);
  });

  it('never lets a frame jump the queue while others wait, even when a token is free', () => {
    const { clock, sent, pacer } = setup(10, 1);
    pacer.submit('a', true);
    pacer.submit('b', true);
    clock.advance(50);
    pacer.submit('c', true); // the bucket has half a token; b still waits first
    clock.advance(300);
    expect(sent.map(([frame]) => frame)).toEqual(['a', 'b', 'c']);
  });

  it('refills to the burst after a quiet period, no further', () => {
    const { clock, sent, pacer } = setup(10, 3);
    clock.advance(60_000);
    for (const frame of ['a', 'b', 'c', 'd']) pacer.submit(frame, true);
    expect(sent).toHaveLength(3);
  });

  it('stop() releases the timer and hands back what waited, flagged user or not', () => {
    const { clock, sent, pacer } = setup(1, 1);
    pacer.submit('a', true);
    pacer.submit('sub', false);
    pacer.submit('b', true);
    expect(pacer.stop()).toEqual([{ frame: 'sub', isUser: false }, { frame: 'b', isUser: true }]);
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    expect(sent.map(([frame]) => frame)).toEqual(['a']);
  });
});
