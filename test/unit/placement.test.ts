import { describe, expect, it } from 'vitest';
import { Placement } from '../../src/pool/placement.js';

/** A placement of named members: m0, m1, … created on demand. */
function placement(cap: number) {
  const p = new Placement<string>(cap);
  const grow = (): void => p.add(`m${p.members.length}`);
  const shards = (): Record<string, number> => Object.fromEntries(p.members.map((m) => [m, p.loadOf(m)]));
  return { p, grow, shards };
}

describe('Placement', () => {
  it('fills members first fit, never past the cap, growing only when every member is full', () => {
    const { p, grow, shards } = placement(1024);
    const given = p.place(Array.from({ length: 2500 }, (_, i) => `t${i}`), grow);
    expect(shards()).toEqual({ m0: 1024, m1: 1024, m2: 452 });
    expect([...given].map(([member, topics]) => [member, topics.length])).toEqual([['m0', 1024], ['m1', 1024], ['m2', 452]]);
    expect(given.get('m2')![0]).toBe('t2048');
  });

  it('ignores topics already placed and repeated ones, so nothing is given twice', () => {
    const { p, grow } = placement(2);
    p.place(['a', 'b'], grow);
    expect([...p.place(['b', 'c', 'c', 'a'], grow)]).toEqual([['m1', ['c']]]);
    expect(Object.fromEntries(p.owners())).toEqual({ a: 'm0', b: 'm0', c: 'm1' });
  });

  it('puts new topics into the room releases left, without moving any placed topic', () => {
    const { p, grow, shards } = placement(2);
    p.place(['a', 'b', 'c', 'd', 'e'], grow);
    expect([...p.release(['b', 'd', 'x'])]).toEqual([['m0', ['b']], ['m1', ['d']]]);
    expect([...p.place(['f', 'g', 'h'], grow)]).toEqual([['m0', ['f']], ['m1', ['g']], ['m2', ['h']]]);
    expect(shards()).toEqual({ m0: 2, m1: 2, m2: 2 });
    expect(Object.fromEntries(p.owners())).toMatchObject({ a: 'm0', c: 'm1', e: 'm2' });
  });

  it('removing a member forgets its topics and shifts the later members down', () => {
    const { p, grow } = placement(1);
    p.place(['a', 'b', 'c'], grow);
    p.remove('m1');
    expect(p.members).toEqual(['m0', 'm2']);
    expect([...p.topics()]).toEqual(['a', 'c']);
    expect(p.loadOf('m1')).toBe(0);
  });

  it('fails loudly when grow() adds no member (a caller bug), instead of overfilling one', () => {
    const p = new Placement<string>(1);
    expect(() => p.place(['a'], () => undefined)).toThrow('grew no member');
  });
});
