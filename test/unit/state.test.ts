import { describe, expect, it } from 'vitest';
import { canTransition, isLive, isTerminal, TRANSITIONS, type StreamState } from '../../src/state.js';

const STATES: StreamState[] = ['idle', 'connecting', 'resyncing', 'open', 'reconnecting', 'closed', 'failed'];

const LEGAL = new Set([
  'idle>connecting', 'idle>closed',
  'connecting>resyncing', 'connecting>open', 'connecting>reconnecting', 'connecting>failed', 'connecting>closed',
  'resyncing>open', 'resyncing>reconnecting', 'resyncing>failed', 'resyncing>closed',
  'open>resyncing', 'open>reconnecting', 'open>failed', 'open>closed',
  'reconnecting>connecting', 'reconnecting>failed', 'reconnecting>closed',
  'failed>connecting', 'failed>closed',
]);

describe('the transition table', () => {
  for (const from of STATES) {
    for (const to of STATES) {
      const legal = LEGAL.has(`${from}>${to}`);
      it(`${from} -> ${to} is ${legal ? 'legal' : 'illegal'}`, () => {
        expect(canTransition(from, to)).toBe(legal);
      });
    }
  }

  it('closed is a dead end; only failed and closed are terminal', () => {
    expect(TRANSITIONS.closed).toEqual([]);
    expect(STATES.filter(isTerminal)).toEqual(['closed', 'failed']);
    expect(STATES.filter(isLive)).toEqual(['resyncing', 'open']);
  });
});
