import { afterEach, describe, expect, it } from 'vitest';
import { ResilientStream, type ResilientStreamOptions } from '../../src/index.js';
import { createFeedServer, type FeedServer } from '../../src/testing/index.js';
import { EventRecorder, sleep, waitForEvent, waitForState } from '../helpers/events.js';

// Small real timings: a flap cycle (open 30 ms, then a 10-40 ms backoff) takes well under 100 ms,
// so 4 attempts land inside a 600 ms window even on a busy machine.
const WINDOW_MS = 600;
const MAX_RECONNECTS = 3;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openFeed(): Promise<FeedServer> {
  const feed = await createFeedServer({ dialect: 'json', messagesPerSecond: 20 });
  cleanups.push(() => feed.close());
  return feed;
}

function openStream(feed: FeedServer, options: Partial<ResilientStreamOptions> = {}) {
  const stream = new ResilientStream({
    url: feed.url,
    topics: ['a'],
    subscribe: ({ topics }) => ({ op: 'subscribe', topics }),
    staleAfterMs: false,
    heartbeat: false,
    random: () => 0.5,
    backoff: { initialDelayMs: 20, maxDelayMs: 40, resetAfterMs: 200 },
    storm: { maxReconnects: MAX_RECONNECTS, windowMs: WINDOW_MS },
    ...options,
  });
  stream.on('error', () => {}); // dial and close errors are expected here; the events tell the story
  cleanups.push(() => stream.close());
  return stream;
}

describe('a flapping server', () => {
  it('raises exactly one storm, and exactly one stormEnd once the stream has stayed open a window', async () => {
    const feed = await openFeed();
    feed.faults.flap({ openMs: 30 });
    const stream = openStream(feed);
    const recorder = new EventRecorder(stream, ['storm', 'stormEnd']);
    const opens: number[] = [];
    stream.on('open', () => opens.push(Date.now()));
    stream.start();
    const storm = await waitForEvent(stream, 'storm');
    const stormAt = Date.now();
    expect(stream.health().storm).toBe(true);
    expect(storm).toMatchObject({ reconnects: MAX_RECONNECTS + 1, windowMs: WINDOW_MS, sinceHealthyMs: null });
    expect(storm.recentFailures!.length).toBeGreaterThanOrEqual(MAX_RECONNECTS);
    expect(storm.recentFailures!.every((failure) => failure.code === 1006)).toBe(true);
    // Flapping goes on well past the threshold: still one alert.
    await sleep(WINDOW_MS);
    expect(recorder.of('storm')).toHaveLength(1);
    expect(recorder.of('stormEnd')).toHaveLength(0);
    feed.faults.flap(false); // the connection open now (if any) is spared, later ones are too
    const end = await waitForEvent(stream, 'stormEnd', () => true, 5_000);
    expect(Date.now() - opens.at(-1)!).toBeGreaterThanOrEqual(WINDOW_MS - 5);
    expect(end.reconnects).toBeGreaterThanOrEqual(1);
    // The storm lasted from its alert through the flapping to a full window after the last open.
    expect(end.durationMs).toBeGreaterThanOrEqual(opens.at(-1)! - stormAt + WINDOW_MS - 5);
    expect(stream.health().storm).toBe(false);
    await sleep(WINDOW_MS);
    expect(recorder.of('storm')).toHaveLength(1);
    expect(recorder.of('stormEnd')).toHaveLength(1);
    expect(stream.state).toBe('open');
  });

  it('tells how long ago the last healthy connection ended', async () => {
    const feed = await openFeed();
    const stream = openStream(feed);
    stream.start();
    await waitForState(stream, 'open');
    await sleep(300); // longer than resetAfterMs: a healthy connection
    const healthyEndedAt = Date.now();
    feed.faults.flap({ openMs: 30 });
    feed.faults.drop();
    const storm = await waitForEvent(stream, 'storm');
    const elapsed = Date.now() - healthyEndedAt;
    expect(storm.sinceHealthyMs).toBeGreaterThan(0);
    expect(storm.sinceHealthyMs).toBeLessThanOrEqual(elapsed + 5);
  });

  it('counts failed dials too, and lists their errors', async () => {
    const feed = await openFeed();
    const stream = openStream(feed);
    stream.start();
    await waitForState(stream, 'open');
    await feed.faults.stop(); // connections refused until restart
    const storm = await waitForEvent(stream, 'storm');
    expect(storm.reconnects).toBe(MAX_RECONNECTS + 1);
    const failures = storm.recentFailures!;
    expect(failures[0]).toMatchObject({ code: 1006 }); // the drop of the open connection
    expect(failures.slice(1).every((failure) => failure.code === undefined && /ECONNREFUSED/.test(failure.error ?? ''))).toBe(true);
    await feed.faults.restart();
    await waitForEvent(stream, 'stormEnd', () => true, 5_000);
  });

  it('needs a whole window of continuous open time to end: one more drop restarts the calm period', async () => {
    const feed = await openFeed();
    feed.faults.flap({ openMs: 30, count: MAX_RECONNECTS + 2 });
    const stream = openStream(feed);
    const recorder = new EventRecorder(stream, ['storm', 'stormEnd']);
    stream.start();
    await waitForEvent(stream, 'storm');
    // Let the flap budget run out and the stream sit open for half a window, then drop it once.
    for (let i = 0; i < 100 && feed.state().faults.flap !== null; i++) await sleep(10);
    await sleep(100);
    await waitForState(stream, 'open');
    const calmStartedAt = Date.now();
    await sleep(WINDOW_MS / 2);
    feed.faults.drop();
    const reopenedAt = await waitForEvent(stream, 'open').then(() => Date.now());
    await waitForEvent(stream, 'stormEnd', () => true, 5_000);
    // Had the first calm period counted, stormEnd would have come WINDOW_MS after calmStartedAt.
    expect(Date.now() - reopenedAt).toBeGreaterThanOrEqual(WINDOW_MS - 5);
    expect(Date.now() - calmStartedAt).toBeGreaterThanOrEqual(WINDOW_MS * 1.5 - 5);
    expect(recorder.of('storm')).toHaveLength(1);
  });

  it('does not report a closed stream as storming', async () => {
    const feed = await openFeed();
    feed.faults.flap({ openMs: 30 });
    const stream = openStream(feed);
    const recorder = new EventRecorder(stream, ['stormEnd']);
    stream.start();
    await waitForEvent(stream, 'storm');
    expect(stream.health().storm).toBe(true);
    await stream.close();
    expect(stream.health()).toMatchObject({ state: 'closed', storm: false });
    expect(recorder.of('stormEnd')).toEqual([]); // closing is not calm
  });

  it('stays silent when storm alerts are disabled', async () => {
    const feed = await openFeed();
    feed.faults.flap({ openMs: 30 });
    const stream = openStream(feed, { storm: false });
    const recorder = new EventRecorder(stream, ['storm', 'stormEnd', 'reconnecting']);
    stream.start();
    await sleep(WINDOW_MS);
    expect(recorder.of('reconnecting').length).toBeGreaterThan(MAX_RECONNECTS + 1);
    expect(recorder.of('storm')).toHaveLength(0);
    expect(stream.health().storm).toBe(false);
  });
});

describe('storm.cooldownMs', () => {
  const COOLDOWN_MS = 150;

  /** Delays of the reconnecting events, split at the storm alert. */
  async function delaysAroundStorm() {
    const feed = await openFeed();
    feed.faults.flap({ openMs: 30 });
    const stream = openStream(feed, { storm: { maxReconnects: MAX_RECONNECTS, windowMs: 2_000, cooldownMs: COOLDOWN_MS } });
    const recorder = new EventRecorder(stream, ['storm', 'reconnecting']);
    stream.start();
    await waitForEvent(stream, 'storm');
    for (let i = 0; i < 3; i++) await waitForEvent(stream, 'reconnecting');
    const names = recorder.entries.map((entry) => entry.event);
    const delays = recorder.of('reconnecting').map((event) => event.delayMs);
    const split = names.indexOf('storm');
    return { before: delays.slice(0, split), after: delays.slice(split) };
  }

  it('is added to every reconnect delay once a storm is on, the wait after the storm-starting attempt included', async () => {
    const { before, after } = await delaysAroundStorm();
    expect(before).toHaveLength(MAX_RECONNECTS);
    expect(before.every((delayMs) => delayMs <= 40)).toBe(true);
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after.every((delayMs) => delayMs >= COOLDOWN_MS && delayMs <= COOLDOWN_MS + 40)).toBe(true);
  });
});
