import { describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { sleep, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, track, useCleanup } from '../helpers/fixtures.js';

useCleanup();

describe('waitFor()', () => {
  it('resolves at once in a state it already is in, and later when the state comes', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    expect(await stream.waitFor('idle')).toBe('idle');
    stream.start();
    expect(await stream.waitFor(['open', 'resyncing'], { timeoutMs: 3_000 })).toBe('open');
  });

  it('rejects with RS_CLOSED when the stream closes first', async () => {
    const feed = await openFeed();
    feed.faults.hangHandshakes({ count: 1 });
    const stream = jsonStream(feed).start();
    const waiting = stream.waitFor('open');
    void stream.close();
    await expect(waiting).rejects.toMatchObject({ code: 'RS_CLOSED' });
  });

  it('rejects with the failure\'s error when the stream fails first', async () => {
    const feed = await openFeed();
    feed.faults.rejectHandshakes(401);
    const stream = jsonStream(feed).start();
    await expect(stream.waitFor('open')).rejects.toMatchObject({ code: 'RS_FATAL_CLOSE', status: 401 });
  });

  it('rejects with RS_TIMEOUT after timeoutMs, and with the signal\'s reason on abort, leaving no timer', async () => {
    const feed = await openFeed();
    feed.faults.hangHandshakes({ count: 2 });
    const stream = jsonStream(feed, { connectTimeoutMs: 5_000 }).start();
    await expect(stream.waitFor('open', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'RS_TIMEOUT' });
    const controller = new AbortController();
    const waiting = stream.waitFor('open', { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(stream.listenerCount('state')).toBe(0);
  });
});

describe('waitFor() and once() with arguments that could only wait forever or fire at once', () => {
  it.each([
    ['an unknown state', () => ['opened'], undefined, /^Expected waitFor\(\) to get a state or a list of them \(idle, connecting, .*\), got \["opened"\]\.$/],
    ['an empty list', () => [], undefined, /got \[\]\.$/],
    ['a NaN timeout', () => 'open', { timeoutMs: Number.NaN }, /^Expected `timeoutMs` to be a finite number of ms from 0 to 2147483647, got NaN\.$/],
    ['a negative timeout', () => 'open', { timeoutMs: -5 }, /got -5\.$/],
    ['a string timeout', () => 'open', { timeoutMs: '100' }, /got "100"\.$/],
    ['a misspelt option', () => 'open', { timeout: 100 }, /^Expected `options` to be an object with timeoutMs and signal, got \{"timeout":100\}\.$/],
    ['a signal that is not one', () => 'open', { signal: { aborted: false } }, /^Expected `signal` to be an AbortSignal/],
  ])('waitFor() with %s rejects RS_INVALID_OPTIONS at once (even when the state already matches)', async (_name, states, options, message) => {
    const stream = track(new ResilientStream({ url: 'ws://127.0.0.1:9/' }));
    const state = states();
    await expect(stream.waitFor((state === 'open' ? 'idle' : state) as never, options as never)).rejects.toMatchObject({ code: 'RS_INVALID_OPTIONS', message: expect.stringMatching(message) });
  });

  it('after close(), and from the listener of the final state change, waitFor() rejects RS_CLOSED at once instead of waiting for ever', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    const fromListener: Array<Promise<unknown>> = [];
    stream.on('state', ({ to }) => {
      if (to === 'closed') fromListener.push(stream.waitFor('open').catch((error: unknown) => error));
    });
    await stream.close();
    expect(await Promise.race([fromListener[0], sleep(1_000).then(() => 'still pending')])).toMatchObject({ code: 'RS_CLOSED' });
    await expect(stream.waitFor(['open', 'reconnecting'])).rejects.toMatchObject({
      code: 'RS_CLOSED', message: 'The stream is closed; state open or reconnecting will never come.',
    });
    expect(await stream.waitFor('closed')).toBe('closed');
  });

  it('a timeout of Infinity means none (Node would fire an Infinity timer at once)', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    const open = stream.waitFor('open', { timeoutMs: Infinity });
    await sleep(20);
    stream.start();
    expect(await open).toBe('open');
  });
});

describe('once()', () => {
  it('resolves with the next event\'s payload; the listener form still works', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed);
    let viaListener = 0;
    stream.once('open', () => viaListener++);
    const opened = stream.once('open');
    stream.start();
    expect(await opened).toMatchObject({ attempt: 0, isReconnect: false });
    expect(viaListener).toBe(1);
  });

  it('rejects with RS_CLOSED when the stream closes first, and at once after close', async () => {
    const feed = await openFeed();
    const stream = track(new ResilientStream({ url: feed.url }));
    const never = stream.once('gap');
    await stream.close();
    await expect(never).rejects.toMatchObject({ code: 'RS_CLOSED' });
    await expect(stream.once('open')).rejects.toMatchObject({ code: 'RS_CLOSED' });
    expect(stream.state).toBe('closed');
    await waitForState(stream, 'closed');
  });
});
