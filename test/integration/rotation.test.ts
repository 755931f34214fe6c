import { describe, expect, it } from 'vitest';
import type { RotatedEvent } from '../../src/index.js';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

useCleanup();

/** Every delivered seq per topic, and the problems: duplicates and gaps. */
function deliveryLog() {
  const last = new Map<string, number>();
  const problems: string[] = [];
  let count = 0;
  const onMessage = (message: FeedMessage): void => {
    if (message.topic === undefined || message.seq === undefined) return;
    count++;
    const previous = last.get(message.topic);
    if (previous !== undefined && message.seq !== previous + 1) problems.push(`${message.topic}: ${previous} -> ${message.seq}`);
    last.set(message.topic, message.seq);
  };
  return { onMessage, problems, count: () => count };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

const sequenced = {
  topics: ['a', 'b'],
  sequence: (message: FeedMessage) => message.seq,
};

describe('make-before-break rotation', () => {
  it('20 age rotations at 200 msg/s with sequence: every seq once, in order, gapless, duplicates counted', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const log = deliveryLog();
    const rotated: RotatedEvent[] = [];
    const stream = jsonStream(feed, { ...sequenced, rotate: { maxAgeMs: 150, overlapMs: 2_000 } });
    stream.on('message', log.onMessage);
    stream.on('rotated', (event) => rotated.push(event));
    const closes: number[] = [];
    stream.on('close', (event) => closes.push(event.code));
    stream.on('reconnecting', () => closes.push(-1));
    stream.start();
    await until(() => rotated.length >= 20, 15_000);
    expect(log.problems).toEqual([]);
    expect(closes).toEqual([]);
    expect(rotated.every((event) => event.reason === 'age' && event.gapless)).toBe(true);
    const dropped = rotated.reduce((sum, event) => sum + event.duplicatesDropped, 0);
    expect(dropped).toBe(stream.health().duplicates);
    expect(stream.health()).toMatchObject({ state: 'open', rotations: rotated.length, reconnects: 0 });
    expect(stream.errors).toEqual([]);
    // Only one socket is left once the retired ones had closeTimeoutMs to go.
    await sleep(100);
    expect(feed.connectionCount).toBeLessThanOrEqual(2);
  });

  it('with dedupeKey and no sequence: nothing doubled or lost across 10 rotations', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const log = deliveryLog();
    const rotated: RotatedEvent[] = [];
    const stream = jsonStream(feed, {
      topics: ['a', 'b'],
      dedupeKey: (message) => (message.seq === undefined ? undefined : `${message.topic}:${message.seq}`),
      rotate: { maxAgeMs: 150, overlapMs: 2_000 },
    });
    stream.on('message', log.onMessage);
    stream.on('rotated', (event) => rotated.push(event));
    stream.start();
    await until(() => rotated.length >= 10, 15_000);
    expect(log.problems).toEqual([]);
    expect(rotated.every((event) => event.gapless)).toBe(true);
    expect(stream.errors).toEqual([]);
  });

  it('a notice rotates at once; without sequence or dedupeKey the switch is not claimed gapless', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const stream = jsonStream(feed, { topics: ['a'], rotate: { isNotice: (message) => message.op === 'shutdown' } }).start();
    await waitForState(stream, 'open');
    const rotated = waitForEvent(stream, 'rotated', () => true, 3_000);
    feed.faults.notice();
    expect(await rotated).toMatchObject({ reason: 'notice', gapless: false });
    expect(stream.state).toBe('open');
  });

  it('rotate() resolves once delivery switched; the retired socket closes with 1000', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const stream = jsonStream(feed, sequenced).start();
    await waitForState(stream, 'open');
    const first = feed.connections[0]!;
    const disconnect = new Promise<number>((resolve) => feed.on('disconnect', (event) => { if (event.connectionId === first.id) resolve(event.code); }));
    await stream.rotate();
    expect(stream.health().rotations).toBe(1);
    expect(await disconnect).toBe(1000);
  });

  it('after a rotation the new socket is the stream\'s: its loss is a normal close and reconnect', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const stream = jsonStream(feed, sequenced).start();
    await waitForState(stream, 'open');
    await stream.rotate();
    const close = waitForEvent(stream, 'close', () => true, 2_000);
    const reopened = waitForEvent(stream, 'open', (event) => event.isReconnect, 3_000);
    feed.faults.drop();
    expect((await close).willReconnect).toBe(true);
    await reopened;
    await waitForState(stream, 'open');
  });

  it('a refused replacement: rotate() rejects RS_ROTATION_FAILED, an error is emitted, the current socket stays', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const stream = jsonStream(feed, sequenced).start();
    await waitForState(stream, 'open');
    feed.faults.rejectHandshakes(503);
    await expect(stream.rotate()).rejects.toMatchObject({ code: 'RS_ROTATION_FAILED' });
    expect(stream.errors.map((error) => (error as { code?: string }).code)).toContain('RS_ROTATION_FAILED');
    expect(stream.state).toBe('open');
    const message = waitForEvent(stream, 'message', () => true, 1_000);
    expect(await message).toBeDefined();
  });

  it('a replacement that never proves overlap within overlapMs fails; an age rotation is retried with backoff', async () => {
    const feed = await openFeed({ messagesPerSecond: 0 });
    const stream = jsonStream(feed, { ...sequenced, rotate: { maxAgeMs: 100, overlapMs: 150 }, backoff: { initialDelayMs: 50, maxDelayMs: 50 } }).start();
    await waitForState(stream, 'open');
    // Nothing flows, so nothing can prove overlap: the age rotation fails, then is tried again.
    const failures: string[] = [];
    stream.on('error', (error) => failures.push(error.code));
    await until(() => failures.filter((code) => code === 'RS_ROTATION_FAILED').length >= 2, 3_000);
    expect(stream.state).toBe('open');
    expect(stream.health().rotations).toBe(0);
  });

  it('the current socket dying mid-rotation: the subscribed replacement takes over without close or reconnecting', async () => {
    const feed = await openFeed({ messagesPerSecond: 0 });
    const stream = jsonStream(feed, { ...sequenced, rotate: { overlapMs: 5_000 } }).start();
    await waitForState(stream, 'open');
    const first = feed.connections[0]!;
    const events: string[] = [];
    for (const event of ['close', 'reconnecting', 'open'] as const) stream.on(event, () => events.push(event));
    const rotating = stream.rotate();
    await until(() => feed.connections.length === 2 && feed.subscriptions().length > 0, 2_000);
    await sleep(50);
    feed.faults.drop(first.id);
    await rotating;
    expect(events).toEqual([]);
    expect(stream.state).toBe('open');
  });

  it('close() mid-rotation closes both sockets and leaves no timer or socket', async () => {
    const feed = await openFeed({ messagesPerSecond: 0 });
    const stream = jsonStream(feed, { ...sequenced, rotate: { overlapMs: 5_000 } }).start();
    await waitForState(stream, 'open');
    const rotating = stream.rotate();
    const rejected = expect(rotating).rejects.toMatchObject({ code: 'RS_ROTATION_FAILED' });
    await until(() => feed.connections.length === 2, 2_000);
    await stream.close();
    await rejected;
    await until(() => feed.connections.length === 0, 2_000);
  });
});

describe('rotate.acquire', () => {
  it('is awaited before the replacement is dialed and released once the rotation is over, also when it fails', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const log: string[] = [];
    let grant: (() => void) | undefined;
    const stream = jsonStream(feed, {
      ...sequenced,
      rotate: {
        overlapMs: 1_000,
        acquire: () => new Promise((resolve) => {
          log.push('acquire');
          grant = () => resolve(() => log.push('release'));
        }),
      },
    }).start();
    await waitForState(stream, 'open');
    const rotating = stream.rotate();
    await sleep(100);
    expect(feed.connections.length).toBe(1); // nothing dialed while the lock is held elsewhere
    grant!();
    await rotating;
    expect(log).toEqual(['acquire', 'release']);
    feed.faults.rejectHandshakes(503);
    const failing = stream.rotate();
    await sleep(20);
    grant!();
    await expect(failing).rejects.toMatchObject({ code: 'RS_ROTATION_FAILED' });
    expect(log).toEqual(['acquire', 'release', 'acquire', 'release']);
  });
});

describe('hostile rotation hooks', () => {
  it('an isNotice or dedupeKey that throws (a value without a string form) is RS_LISTENER; delivery and rotation go on', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const log = deliveryLog();
    const stream = jsonStream(feed, {
      topics: ['a'],
      dedupeKey: (message) => {
        if (message.seq !== undefined && message.seq % 7 === 0) throw Object.create(null);
        return message.seq === undefined ? undefined : `${message.topic}:${message.seq}`;
      },
      rotate: { overlapMs: 2_000, isNotice: () => { throw Symbol('no'); } },
    });
    stream.on('message', log.onMessage);
    stream.start();
    await waitForState(stream, 'open');
    await sleep(100);
    await stream.rotate();
    await sleep(100);
    const codes = new Set(stream.errors.map((error) => (error as { code?: string }).code));
    expect(codes).toEqual(new Set(['RS_LISTENER']));
    expect(stream.state).toBe('open');
    expect(log.count()).toBeGreaterThan(10);
  });

  it('a release function that throws is RS_LISTENER; the next rotation still acquires and switches', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    let acquired = 0;
    const stream = jsonStream(feed, {
      ...sequenced,
      rotate: { overlapMs: 1_000, acquire: async () => { acquired++; return () => { throw Object.create(null); }; } },
    }).start();
    await waitForState(stream, 'open');
    await stream.rotate();
    await stream.rotate();
    expect(acquired).toBe(2);
    expect(stream.errors).toHaveLength(2);
    for (const error of stream.errors) {
      expect(error).toMatchObject({ code: 'RS_LISTENER', message: "rotate.acquire's release function threw: {}" });
    }
    expect(stream.health().rotations).toBe(2);
  });

  it('an acquire that resolves with no release function fails that rotation (RS_ROTATION_FAILED); the socket stays', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const stream = jsonStream(feed, { ...sequenced, rotate: { overlapMs: 1_000, acquire: async () => 'lock' as never } }).start();
    await waitForState(stream, 'open');
    await expect(stream.rotate()).rejects.toMatchObject({
      code: 'RS_ROTATION_FAILED',
      message: 'Rotation (manual) failed: expected rotate.acquire to resolve with a release function, got lock.',
    });
    expect(feed.connections.length).toBe(1);
    expect(stream.state).toBe('open');
  });

  it('a lock granted after close() is released at once, and a throwing release there is reported, not thrown', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    let grant: (() => void) | undefined;
    let released = 0;
    const stream = jsonStream(feed, {
      ...sequenced,
      rotate: { overlapMs: 1_000, acquire: () => new Promise((resolve) => { grant = () => resolve(() => { released++; throw new Error('late'); }); }) },
    }).start();
    await waitForState(stream, 'open');
    const rotating = stream.rotate();
    rotating.catch(() => {});
    await sleep(20);
    await stream.close();
    grant!();
    await sleep(20);
    expect(released).toBe(1);
    expect(feed.connections.length).toBe(0); // no replacement was dialed for a closed stream
    expect(stream.errors.map((error) => error.message)).toContain("rotate.acquire's release function threw: late");
  });
});

describe('a random that misbehaves (a test seam)', () => {
  it('one that throws never crashes a teardown: each draw is reported and the stream keeps reconnecting with bounded delays', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { random: () => { throw new Error('rng'); }, backoff: { initialDelayMs: 20, maxDelayMs: 40 } }).start();
    await waitForState(stream, 'open');
    await feed.faults.stop();
    await sleep(400);
    await feed.faults.restart();
    await waitForState(stream, 'open', 5_000);
    expect(stream.errors.some((error) => (error as { code?: string }).code === 'RS_LISTENER' && /^random threw: rng;/.test(error.message))).toBe(true);
  });

  it('one that returns NaN does not redial in a tight loop', async () => {
    const feed = await openFeed();
    const stream = jsonStream(feed, { random: () => Number.NaN, backoff: { initialDelayMs: 100, maxDelayMs: 100 }, storm: false }).start();
    await waitForState(stream, 'open');
    await feed.faults.stop();
    await sleep(500);
    // Delays are uniform in [0, 100] ms: about 10 dials in 500 ms, never hundreds.
    expect(stream.health().attempt).toBeGreaterThan(2);
    expect(stream.health().attempt).toBeLessThan(40);
  });
});

