import { describe, expect, it } from 'vitest';
import { SafeEmitter } from '../../src/safe-emitter.js';
import { MessageIterator } from '../../src/message-iterator.js';

class Probe extends SafeEmitter<{ tick: (n: number) => void }> {
  errors: Array<[unknown, string]> = [];
  fire(n: number): boolean {
    return this.emitSafe('tick', n);
  }
  protected override listenerFailed(error: unknown, event: string): void {
    this.errors.push([error, event]);
  }
}

describe('SafeEmitter', () => {
  it('a throwing listener does not stop the others, and its error is reported with the event name', () => {
    const probe = new Probe();
    const seen: string[] = [];
    probe.on('tick', (n) => seen.push(`a${n}`));
    probe.on('tick', () => { throw new Error('boom'); });
    probe.on('tick', (n) => seen.push(`c${n}`));
    expect(probe.fire(1)).toBe(true);
    expect(seen).toEqual(['a1', 'c1']);
    expect(probe.errors).toHaveLength(1);
    expect((probe.errors[0]![0] as Error).message).toBe('boom');
    expect(probe.errors[0]![1]).toBe('tick');
  });

  it('a single throwing listener is isolated too', () => {
    const probe = new Probe();
    probe.on('tick', () => { throw new Error('solo'); });
    expect(() => probe.fire(1)).not.toThrow();
    expect(probe.errors).toHaveLength(1);
  });

  it('honours once(), context, and listeners removed during emit', () => {
    const probe = new Probe();
    const seen: number[] = [];
    const context = { factor: 10 };
    probe.once('tick', function (this: typeof context, n) { seen.push(n * this.factor); }, context);
    const second = (n: number): void => { seen.push(n); };
    probe.on('tick', () => probe.off('tick', second));
    probe.on('tick', second);
    probe.fire(1);
    probe.fire(2);
    expect(seen).toEqual([10, 1]);
    expect(probe.listenerCount('tick')).toBe(1);
  });

  it('returns false with no listeners', () => {
    expect(new Probe().fire(1)).toBe(false);
  });
});

describe('SafeEmitter, the eventemitter3 API it replaces', () => {
  type Map = { tick: (n: number) => void; pair: (a: string, b: number) => void; [s]: () => void };
  const s = Symbol('s');
  class Plain extends SafeEmitter<Map> {}

  it('emit() passes every argument, returns whether anyone listened, and lets a throw propagate', () => {
    const emitter = new Plain();
    const seen: unknown[] = [];
    expect(emitter.emit('pair', 'a', 1)).toBe(false);
    emitter.addListener('pair', (a, b) => seen.push(a, b));
    expect(emitter.emit('pair', 'a', 1)).toBe(true);
    expect(seen).toEqual(['a', 1]);
    emitter.on('tick', () => { throw new Error('loud'); });
    expect(() => emitter.emit('tick', 1)).toThrow('loud');
  });

  it('off() matches the listener, then the context and once when given; with no listener it clears the event', () => {
    const emitter = new Plain();
    const calls: string[] = [];
    const listener = function (this: { name: string }): void { calls.push(this.name); };
    const a = { name: 'a' };
    const b = { name: 'b' };
    emitter.on('tick', listener, a).on('tick', listener, b).once('tick', listener, a);
    emitter.off('tick', listener, b);
    emitter.emit('tick', 1);
    expect(calls).toEqual(['a', 'a']);
    expect(emitter.listenerCount('tick')).toBe(1);
    emitter.once('tick', listener, b);
    emitter.removeListener('tick', listener, undefined, true);
    expect(emitter.listeners('tick')).toEqual([listener]);
    emitter.on('tick', () => {}).off('tick');
    expect(emitter.listenerCount('tick')).toBe(0);
  });

  it('a listener runs with the emitter as `this` when no context is given', () => {
    const emitter = new Plain();
    let self: unknown;
    emitter.on('tick', function (this: unknown) { self = this; });
    emitter.emit('tick', 1);
    expect(self).toBe(emitter);
  });

  it('eventNames() lists events that have listeners, symbols included; removeAllListeners() empties one or all', () => {
    const emitter = new Plain();
    expect(emitter.eventNames()).toEqual([]);
    emitter.on('tick', () => {}).on('pair', () => {}).on(s, () => {});
    expect(emitter.eventNames()).toEqual(['tick', 'pair', s]);
    emitter.removeAllListeners('pair');
    expect(emitter.eventNames()).toEqual(['tick', s]);
    emitter.removeAllListeners();
    expect(emitter.eventNames()).toEqual([]);
    expect(emitter.emit(s)).toBe(false);
  });

  it('a listener added during an emit waits for the next one; one removed during an emit still runs in it', () => {
    const emitter = new Plain();
    const seen: string[] = [];
    const late = (): void => { seen.push('late'); };
    const removed = (): void => { seen.push('removed'); };
    emitter.on('tick', () => { seen.push('first'); emitter.on('tick', late); emitter.off('tick', removed); });
    emitter.on('tick', removed);
    emitter.emit('tick', 1);
    expect(seen).toEqual(['first', 'removed']);
    seen.length = 0;
    emitter.emit('tick', 2);
    expect(seen).toEqual(['first', 'late']);
  });

  it('events named like Object.prototype members are plain events', () => {
    const emitter = new SafeEmitter<Record<string, (n: number) => void>>();
    const seen: string[] = [];
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(emitter.listenerCount(name)).toBe(0);
      expect(emitter.emit(name, 1)).toBe(false);
      emitter.on(name, () => seen.push(name));
      expect(emitter.emit(name, 1)).toBe(true);
    }
    expect(seen).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    expect(emitter.eventNames()).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
  });

  it('refuses a listener that is not a function, with a TypeError naming the event', () => {
    expect(() => new Plain().on('tick', 'nope' as never)).toThrow(new TypeError("Expected a listener function for 'tick', got string."));
  });
});

/** An iterator host that records what the iterator asked for. */
function host() {
  const calls: string[] = [];
  return {
    calls,
    full: () => void calls.push('full'),
    drained: () => void calls.push('drained'),
    returned: () => void calls.push('returned'),
  };
}

describe('MessageIterator', () => {
  it('yields pushed messages in order, then ends', async () => {
    const iterator = new MessageIterator<number>(10, 'error', host());
    iterator.push(1);
    const pending = iterator.next();
    iterator.push(2);
    iterator.end();
    expect(await iterator.next()).toEqual({ value: 2, done: false });
    expect(await pending).toEqual({ value: 1, done: false });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('a waiting consumer gets the message directly', async () => {
    const iterator = new MessageIterator<string>(1, 'error', host());
    const next = iterator.next();
    iterator.push('x');
    expect(await next).toEqual({ value: 'x', done: false });
  });

  it('a consumer that falls behind gets RS_ITERATOR_OVERFLOW after the buffered messages, never silent loss', async () => {
    const iterator = new MessageIterator<number>(2, 'error', host());
    iterator.push(1);
    iterator.push(2);
    iterator.push(3);
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).value).toBe(2);
    await expect(iterator.next()).rejects.toMatchObject({ code: 'RS_ITERATOR_OVERFLOW' });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('ending with an error rejects a waiting consumer', async () => {
    const iterator = new MessageIterator<number>(2, 'error', host());
    const next = iterator.next();
    iterator.end(new Error('failed'));
    await expect(next).rejects.toThrow('failed');
  });

  it('return() detaches the iterator', async () => {
    const recorder = host();
    const iterator = new MessageIterator<number>(2, 'error', recorder);
    iterator.push(1);
    await iterator.return();
    expect(recorder.calls).toEqual(['returned']);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it("in 'pause' mode a full buffer asks for a pause once, keeps every message, and releases at half", async () => {
    const recorder = host();
    const iterator = new MessageIterator<number>(4, 'pause', recorder);
    for (let i = 1; i <= 6; i++) iterator.push(i);
    expect(recorder.calls).toEqual(['full']);
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).value).toBe(2);
    expect((await iterator.next()).value).toBe(3);
    expect(recorder.calls).toEqual(['full']);
    expect((await iterator.next()).value).toBe(4); // 2 left: half of 4
    expect(recorder.calls).toEqual(['full', 'drained']);
    expect((await iterator.next()).value).toBe(5);
    expect((await iterator.next()).value).toBe(6);
  });

  it("in 'pause' mode ending or returning releases a held pause", async () => {
    const recorder = host();
    const iterator = new MessageIterator<number>(1, 'pause', recorder);
    iterator.push(1);
    iterator.end();
    expect(recorder.calls).toEqual(['full', 'drained']);
    expect((await iterator.next()).value).toBe(1);
  });
});
