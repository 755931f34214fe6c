import { describe, expect, it } from 'vitest';
import { OverlapProof, type OverlapMode } from '../../src/overlap.js';

interface Msg { topic: string; seq: number; isData?: boolean }
const m = (topic: string, seq: number): Msg => ({ topic, seq });

function sequenceMode(last: Map<string, number>): OverlapMode<Msg> {
  return { kind: 'sequence', rangeOf: (message) => ({ key: message.topic, first: message.seq, last: message.seq }), lastOf: (key) => last.get(key) };
}

describe('OverlapProof, sequence mode', () => {
  it('waits while the replacement is behind, proves once it met and caught up on every active key', () => {
    const last = new Map([['a', 10], ['b', 20]]);
    const proof = new OverlapProof(sequenceMode(last));
    proof.delivered(m('a', 10), 'a');
    proof.delivered(m('b', 20), 'b');
    proof.add({ message: m('a', 8), topic: 'a', isData: true });
    expect(proof.verdict()).toBe('waiting'); // behind on a, nothing on b
    proof.add({ message: m('a', 10), topic: 'a', isData: true });
    expect(proof.verdict()).toBe('waiting'); // caught up on a, b not seen yet
    proof.add({ message: m('b', 20), topic: 'b', isData: true });
    expect(proof.verdict()).toBe('proven');
    expect(proof.isGapless).toBe(true);
    expect(proof.replay().items).toHaveLength(3); // the tracker drops what was delivered
  });

  it('is ahead when the replacement starts past a gap, and proves once the current socket catches up', () => {
    const last = new Map([['a', 10]]);
    const proof = new OverlapProof(sequenceMode(last));
    proof.delivered(m('a', 10), 'a');
    proof.add({ message: m('a', 13), topic: 'a', isData: true });
    expect(proof.verdict()).toBe('ahead');
    last.set('a', 12);
    expect(proof.verdict()).toBe('proven');
  });

  it('waits while nothing was delivered to compare with', () => {
    const proof = new OverlapProof(sequenceMode(new Map()));
    proof.add({ message: m('a', 1), topic: 'a', isData: true });
    expect(proof.verdict()).toBe('waiting');
  });
});

describe('OverlapProof, key mode', () => {
  const mode: OverlapMode<Msg> = { kind: 'key', keyOf: (message) => `${message.topic}:${message.seq}` };

  it('proves when every active topic met a delivered key; the replay leaves delivered keys out; draining waits for a new key', () => {
    const proof = new OverlapProof(mode);
    for (const seq of [1, 2, 3]) proof.delivered(m('a', seq), 'a');
    proof.add({ message: m('a', 2), topic: 'a', isData: true });
    expect(proof.verdict()).toBe('proven');
    proof.add({ message: m('a', 3), topic: 'a', isData: true });
    expect(proof.pendingGroups()).toEqual(new Set(['a'])); // its latest was delivered already
    proof.add({ message: m('a', 4), topic: 'a', isData: true });
    expect(proof.pendingGroups()).toEqual(new Set());
    expect(proof.replay()).toEqual({ items: [{ message: m('a', 4), topic: 'a', isData: true }], dropped: 2 });
    expect(proof.wasDelivered(m('a', 3))).toBe(true);
    expect(proof.wasDelivered(m('a', 5))).toBe(false);
  });

  it('waits for a topic the current socket carried but the replacement has not matched', () => {
    const proof = new OverlapProof(mode);
    proof.delivered(m('a', 1), 'a');
    proof.delivered(m('b', 1), 'b');
    proof.add({ message: m('a', 1), topic: 'a', isData: true });
    expect(proof.verdict()).toBe('waiting');
    proof.add({ message: m('b', 1), topic: 'b', isData: true });
    expect(proof.verdict()).toBe('proven');
  });
});

describe('OverlapProof, first-data mode', () => {
  it('proves at the first data message and never claims gapless', () => {
    const proof = new OverlapProof<Msg>({ kind: 'first-data' });
    proof.add({ message: m('ack', 0), topic: undefined, isData: false });
    expect(proof.verdict()).toBe('waiting');
    proof.add({ message: m('a', 1), topic: 'a', isData: true });
    expect(proof.verdict()).toBe('proven');
    expect(proof.isGapless).toBe(false);
  });
});
