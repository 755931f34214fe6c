import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, useCleanup } from '../helpers/fixtures.js';

useCleanup();

// Node has no window events; a real EventTarget installed as the global stands in for one, so the
// stream's platform listeners run exactly as they would in a page (the browser suite checks Chromium).
const target = new EventTarget();
const globals = globalThis as unknown as Record<string, unknown>;
beforeEach(() => {
  globals.addEventListener = target.addEventListener.bind(target);
  globals.removeEventListener = target.removeEventListener.bind(target);
});
afterEach(() => {
  delete globals.addEventListener;
  delete globals.removeEventListener;
});

const backoff = { initialDelayMs: 30_000, maxDelayMs: 30_000, jitter: 'none' as const };

describe('network and wake signals', () => {
  it('offline drops an open socket at once, as a requested end: no error, no counted attempt, online dials', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff, wakeJitterMs: 20 }).start();
    await waitForState(stream, 'open');
    const started = Date.now();
    const reconnecting = waitForEvent(stream, 'reconnecting');
    target.dispatchEvent(new Event('offline'));
    expect(stream.state).toBe('reconnecting');
    expect(Date.now() - started).toBeLessThan(100);
    // Waiting for `online` (at most backoff.maxDelayMs); not a fault, so nothing is counted.
    expect(await reconnecting).toMatchObject({ attempt: 0, delayMs: 30_000 });
    expect((await reconnecting).reason).toContain('offline');
    expect(stream.errors).toEqual([]);
    expect(stream.health().attempt).toBe(0);
    target.dispatchEvent(new Event('online'));
    await waitForEvent(stream, 'open', () => true, 1_000);
  });

  it('online during a backoff wait dials after at most wakeJitterMs', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff, wakeJitterMs: 50 }).start();
    await waitForState(stream, 'open');
    feed.faults.drop();
    expect(await waitForEvent(stream, 'reconnecting')).toMatchObject({ delayMs: 30_000 });
    target.dispatchEvent(new Event('online'));
    await waitForEvent(stream, 'open', () => true, 1_000);
  });

  it('online while a dial is in flight makes that dial\'s retry short if it fails', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff, wakeJitterMs: 50, connectTimeoutMs: 150 }).start();
    await waitForState(stream, 'open');
    feed.faults.hangHandshakes({ count: 1 });
    stream.reconnect();
    await waitForState(stream, 'connecting');
    target.dispatchEvent(new Event('online'));
    const reconnecting = await waitForEvent(stream, 'reconnecting', (event) => event.reason.includes('connectTimeoutMs'), 2_000);
    expect(reconnecting.delayMs).toBeLessThanOrEqual(50);
    await waitForState(stream, 'open', 2_000);
  });

  it('reconnectOnOffline and reconnectOnOnline false opt out', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { backoff, reconnectOnOffline: false, reconnectOnOnline: false }).start();
    await waitForState(stream, 'open');
    target.dispatchEvent(new Event('offline'));
    expect(stream.state).toBe('open');
    feed.faults.drop();
    await waitForEvent(stream, 'reconnecting');
    target.dispatchEvent(new Event('online'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.state).toBe('reconnecting');
  });

  it('close() removes every platform listener', async () => {
    const feed = await openFeed();
    const added: string[] = [];
    const removed: string[] = [];
    globals.addEventListener = (type: string, listener: EventListener) => { added.push(type); target.addEventListener(type, listener); };
    globals.removeEventListener = (type: string, listener: EventListener) => { removed.push(type); target.removeEventListener(type, listener); };
    const stream = jsonStream(feed).start();
    await waitForState(stream, 'open');
    await stream.close();
    expect(added.length).toBeGreaterThan(0);
    expect(removed.sort()).toEqual(added.sort());
  });
});
