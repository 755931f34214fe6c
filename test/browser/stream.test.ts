import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFeedServer, type FeedServer, type FeedServerOptions } from '../../src/testing/index.js';
import { ensureBuilt, launchChromium, ROOT, serveStatic, SKIP_BROWSER, type PageEvent, type StaticServer } from './harness.js';

// The browser build in real headless Chromium, against the fault-injecting feed server: the
// platform's own WebSocket (no ping frames, no handshake status), real offline/online events.

describe.skipIf(SKIP_BROWSER)('browser build in Chromium', () => {
  let browser: Browser;
  let site: StaticServer;
  let context: BrowserContext | undefined;
  let page: Page;
  let feed: FeedServer | undefined;
  /** Tokens handed out by the page's token endpoint, in order. */
  let issued: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    await ensureBuilt();
    site = await serveStatic({
      '/dist/': join(ROOT, 'dist'),
      '/fixtures/': join(ROOT, 'test/browser/fixtures'),
    }, join(ROOT, 'test/browser/fixtures/harness.html'), {
      '/token': (req, res) => {
        const token = `tok-${randomUUID()}`;
        issued.push(token);
        res.writeHead(req.method === 'POST' ? 200 : 405, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expiresInMs: 60_000 }));
      },
    });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  beforeEach(async () => {
    issued = [];
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
    await feed?.close();
    feed = undefined;
  });

  async function startFeed(options: FeedServerOptions = {}): Promise<FeedServer> {
    feed = await createFeedServer({ messagesPerSecond: 20, ...options });
    return feed;
  }

  function open(config: Record<string, unknown>): Promise<void> {
    return page.evaluate((c) => window.openStream(c), config);
  }

  /** Waits for `predicate` in the page; on timeout the error shows the page's event story. */
  async function until(what: string, predicate: (arg: number) => boolean, arg = 0, timeoutMs = 8_000): Promise<void> {
    try {
      await page.waitForFunction(predicate, arg, { timeout: timeoutMs, polling: 25 });
    } catch (error) {
      const story = await page.evaluate(() => window.record.events.map((e) => `${e.name}:${String(e.to ?? e.code ?? e.kind ?? '')}`));
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; page story: ${story.join(' ')}`, { cause: error });
    }
  }

  const eventsNamed = (name: string): Promise<PageEvent[]> => page.evaluate((n) => window.record.events.filter((e) => e.name === n), name);
  const messageCount = (): Promise<number> => page.evaluate(() => window.record.messages);
  /** Page predicate: a reconnect opened at or after event index `i`. */
  const reconnectedSince = (i: number): boolean => window.record.events.some((e, at) => at >= i && e.name === 'open' && e.isReconnect === true);
  const eventCount = (): Promise<number> => page.evaluate(() => window.record.events.length);

  it('fetches the resync and rotation parts only for a stream that uses them, and they work with the page\'s core', async () => {
    const server = await startFeed();
    const scripts = (): Promise<string[]> => page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js')));
    await open({ url: server.url });
    await until('data without the optional parts', () => window.record.messages >= 3);
    // Up front the page has fetched its harness and index.js, one file, and nothing else of ours.
    expect((await scripts()).filter((name) => name.includes('/dist/browser/')).map((name) => name.replace(/^.*\/dist\/browser\//, ''))).toEqual(['index.js']);
    await page.evaluate(() => window.closeStream());

    await open({ url: server.url, sequenced: true, rotate: { maxAgeMs: 400, overlapMs: 2_000 } });
    await until('two gapless rotations', () => window.record.events.filter((e) => e.name === 'rotated').length >= 2, 0, 10_000);
    const fetched = await scripts();
    expect(fetched.some((name) => name.endsWith('/dist/browser/resyncer.js'))).toBe(true);
    expect(fetched.some((name) => name.endsWith('/dist/browser/rotator.js'))).toBe(true);
    expect(await eventsNamed('gap')).toEqual([]);
    expect(await page.evaluate(() => window.streamHealth()?.rotations)).toBeGreaterThanOrEqual(2);
    expect((await eventsNamed('error')).map((e) => e.code)).toEqual([]);
    await page.evaluate(() => window.closeStream());

    // Errors a part raises are instances of the page's ResilientStreamError: the part has no copy of its own.
    await open({ url: server.url, sequenced: 'unusable' });
    await until('an RS_SEQUENCE error from the resyncer', () => window.record.events.some((e) => e.name === 'error' && e.code === 'RS_SEQUENCE'));
    expect((await eventsNamed('error')).find((e) => e.code === 'RS_SEQUENCE')).toMatchObject({ ours: true });
    expect(await page.evaluate(() => window.poolError())).toEqual({ code: 'RS_INVALID_OPTIONS', ours: true });
  });

  it('connects from the page with the platform WebSocket and receives data', async () => {
    const server = await startFeed();
    await open({ url: server.url, staleAfterMs: 30_000 });
    await until('five messages', () => window.record.messages >= 5);

    expect(await page.evaluate(() => window.streamState())).toBe('open');
    expect(await page.evaluate(() => (window.record.lastMessage as { topic?: string }).topic)).toBe('a');
    const health = await page.evaluate(() => window.streamHealth());
    expect(health).toMatchObject({ state: 'open', connected: true, reconnects: 0 });
    expect(server.subscriptions()).toEqual(['a']);
    const opens = await eventsNamed('open');
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({ attempt: 0, isReconnect: false });
  });

  it('detects a silent stall through data staleness while app pongs keep flowing, then recovers', async () => {
    const server = await startFeed();
    // Pings are answered during a stall, so only data staleness can see it. The heartbeat deadline
    // (200 + 300 ms) is shorter than the staleness one: if pongs did not keep the socket alive,
    // a heartbeat verdict would come first.
    await open({ url: server.url, staleAfterMs: 1_000, appHeartbeat: { intervalMs: 200, timeoutMs: 300 }, backoff: { initialDelayMs: 100, maxDelayMs: 300 } });
    await until('data', () => window.record.messages >= 3);
    server.faults.stall();
    await until('a data stale event', () => window.record.events.some((e) => e.name === 'stale'));
    const stale = await eventsNamed('stale');
    expect(stale[0]).toMatchObject({ kind: 'data', thresholdMs: 1_000 });
    expect((await eventsNamed('error')).map((e) => e.code)).toContain('RS_STALE');

    // The reconnect may already be done by now (the backoff is 100-300 ms): look after the stale event.
    const staleIndex = await page.evaluate(() => window.record.events.findIndex((e) => e.name === 'stale'));
    const before = await messageCount();
    server.faults.resume();
    await until('a reconnect after the stall', reconnectedSince, staleIndex);
    await until('data again', (n) => window.record.messages > n + 3, before);
    expect(await page.evaluate(() => window.streamState())).toBe('open');
    expect(server.connectionsAccepted).toBeGreaterThanOrEqual(2);
  });

  it('recovers from an abrupt server drop (1006)', async () => {
    const server = await startFeed();
    await open({ url: server.url, backoff: { initialDelayMs: 100, maxDelayMs: 300 } });
    await until('data', () => window.record.messages >= 3);
    const before = await messageCount();
    server.faults.drop();
    await until('a close event', () => window.record.events.some((e) => e.name === 'close'));
    expect((await eventsNamed('close'))[0]).toMatchObject({ code: 1006, wasClean: false, willReconnect: true });
    await until('a reconnect', () => window.record.events.some((e) => e.name === 'open' && e.isReconnect === true));
    await until('data again', (n) => window.record.messages > n + 3, before);
    expect(server.connectionsAccepted).toBe(2);
  });

  it('leaves open at once on the offline event and dials at once on online, not after the backoff', async () => {
    const server = await startFeed();
    // No staleness, no heartbeat, a 20 s backoff without jitter: only the offline and online
    // events can explain a fast leave and a fast return.
    await open({
      url: server.url, staleAfterMs: false, wakeJitterMs: 100,
      backoff: { initialDelayMs: 20_000, maxDelayMs: 20_000, jitter: 'none' },
    });
    await until('data', () => window.record.messages >= 3);

    await context!.setOffline(true);
    await until('reconnecting after offline', () => window.streamState() === 'reconnecting', 0, 5_000);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    const [reconnecting] = await eventsNamed('reconnecting');
    // Going offline is a requested end: nothing is counted; the wait lasts until `online` (at most maxDelayMs).
    expect(reconnecting).toMatchObject({ attempt: 0, delayMs: 20_000 });
    expect(String(reconnecting!.reason)).toMatch(/offline/);

    const index = await eventCount();
    await context!.setOffline(false);
    await until('a reconnect well before the 20 s backoff', reconnectedSince, index, 8_000);
    const before = await messageCount();
    await until('data again', (n) => window.record.messages > n + 3, before);
  });

  it('with reconnectOnOffline false keeps the held socket until data staleness calls it', async () => {
    const server = await startFeed();
    await open({
      url: server.url, staleAfterMs: 1_500, reconnectOnOffline: false, reconnectOnOnline: false,
      backoff: { initialDelayMs: 100, maxDelayMs: 300 },
    });
    await until('data', () => window.record.messages >= 3);
    await context!.setOffline(true);
    // Chromium's offline emulation does not close the socket; it holds its frames back.
    await page.waitForTimeout(700);
    expect(await page.evaluate(() => window.streamState())).toBe('open');
    await until('a data stale event while offline', () => window.record.events.some((e) => e.name === 'stale'));
    expect((await eventsNamed('stale'))[0]).toMatchObject({ kind: 'data' });
    const index = await eventCount();
    await context!.setOffline(false);
    await until('a reconnect by backoff alone', reconnectedSince, index);
  });

  it('uses app-level ping/isPong (no ping frames in browsers) and detects a frozen socket', async () => {
    // No data at all: only pongs can keep the socket alive, so every ping must be answered.
    const server = await startFeed({ messagesPerSecond: 0 });
    await open({ url: server.url, staleAfterMs: false, appHeartbeat: { intervalMs: 300, timeoutMs: 600 }, backoff: { initialDelayMs: 100, maxDelayMs: 300 } });
    await until('open', () => window.streamState() === 'open');
    const pingsSeen = (): number => server.received.filter((m) => m.data?.op === 'ping').length;
    const deadline = Date.now() + 8_000;
    while (pingsSeen() < 3 && Date.now() < deadline) await page.waitForTimeout(100);
    expect(pingsSeen()).toBeGreaterThanOrEqual(3);
    expect(await eventsNamed('stale')).toEqual([]);
    // Pongs are consumed by the heartbeat, never delivered as messages.
    expect(await page.evaluate(() => window.record.pongsDelivered)).toBe(0);

    server.faults.freeze();
    await until('a heartbeat stale event', () => window.record.events.some((e) => e.name === 'stale'));
    expect((await eventsNamed('stale'))[0]).toMatchObject({ kind: 'heartbeat', thresholdMs: 900 });
    expect((await eventsNamed('error')).map((e) => e.code)).toContain('RS_HEARTBEAT_TIMEOUT');
    // freeze() only affects connections open at the time: the new one is healthy.
    await until('a reconnect', () => window.record.events.some((e) => e.name === 'open' && e.isReconnect === true));
  });

  it('without heartbeat.ping the heartbeat stands aside: a quiet, healthy feed is not recycled, and data staleness still protects', async () => {
    // A healthy but quiet feed: nothing arrives after the subscribe ack, and nothing can ask for a sign of life.
    const server = await startFeed({ messagesPerSecond: 0 });
    await open({ url: server.url, staleAfterMs: 1_500, heartbeat: { intervalMs: 200, timeoutMs: 200 } });
    await until('a data stale event', () => window.record.events.some((e) => e.name === 'stale'), 0, 5_000);
    const stale = await eventsNamed('stale');
    // Four heartbeat periods passed first without a verdict: only data staleness spoke.
    expect(stale.map((e) => e.kind)).toEqual(['data']);
    expect(server.received.map((m) => m.data?.op)).not.toContain('ping');
  });

  it('cuts the backoff wait short on pageshow and on visibilitychange to visible', async () => {
    const server = await startFeed();
    await open({ url: server.url, wakeJitterMs: 100, backoff: { initialDelayMs: 20_000, maxDelayMs: 20_000, jitter: 'none' } });
    await until('data', () => window.record.messages >= 2);
    for (const wake of ['pageshow', 'visibilitychange'] as const) {
      const index = await eventCount();
      server.faults.drop();
      await until('a 20 s backoff wait', (i) => window.record.events.some((e, at) => at >= i && e.name === 'reconnecting'), index);
      await page.evaluate((kind) => {
        if (kind === 'pageshow') window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
        else document.dispatchEvent(new Event('visibilitychange'));
      }, wake);
      await until(`a reconnect after ${wake}`, reconnectedSince, index, 8_000);
    }
    const waits = await eventsNamed('reconnecting');
    expect(waits.map((e) => e.delayMs)).toEqual([20_000, 20_000]);
  });

  it('fetches a fresh token before every dial, retries a refused handshake and never shows a token', async () => {
    const server = await startFeed();
    server.faults.rejectHandshakes(401, { count: 1 });
    await open({ url: server.url, tokenUrl: '/token', backoff: { initialDelayMs: 100, maxDelayMs: 300 } });
    await until('open', () => window.streamState() === 'open');

    expect(issued).toHaveLength(2);
    expect(new Set(issued).size).toBe(2);
    expect(server.connections.map((c) => new URL(c.url, 'http://x').searchParams.get('token'))).toEqual([issued[1]]);
    // Browsers cannot see the 401: the refused upgrade is an error before open, without a status,
    // so the default shouldReconnect (which stops on 401/403 under Node) dials again.
    const errors = await eventsNamed('error');
    expect(errors.map((e) => e.code)).toEqual(['RS_CONNECT_FAILED']);
    expect(errors[0]).not.toHaveProperty('status');
    expect(String(errors[0]!.message)).toContain('token=***');
    expect(String((await eventsNamed('open'))[0]!.url)).toContain('token=***');
    const everythingShown = JSON.stringify(await page.evaluate(() => window.record.events));
    for (const token of issued) expect(everythingShown).not.toContain(token);
  });
});
