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
