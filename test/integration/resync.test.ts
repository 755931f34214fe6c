import { describe, expect, it } from 'vitest';
import { createFeedServer } from '../../src/testing/index.js';
import { EventRecorder, sleep, waitForEvent, waitForState } from '../helpers/events.js';
import type { ResyncContext } from '../../src/index.js';
import { cleanups, closeAfterEach, gate, openFeed, openStream, position, Replica, snapshotHook, subscribed, type Msg } from './resync-harness.js';

closeAfterEach();

describe('sequence tracking without a resync hook', () => {
  it('delivers in order, reports gaps per topic and drops counted duplicates', async () => {
    const feed = await openFeed();
    const stream = openStream(feed, { topics: ['a', 'b'] });
    const seen: string[] = [];
    stream.on('message', (m) => m.seq !== undefined && seen.push(`${m.topic}${m.seq}`));
    const recorder = new EventRecorder(stream, ['gap']);
    stream.start();
    await waitForState(stream, 'open');
    await subscribed(feed, ['a', 'b']);
    feed.publish('a');
    feed.publish('a');
    feed.publish('b');
    expect(feed.faults.duplicate('a')).toBe(1);
    feed.faults.gap(3, 'b');
    feed.publish('b'); // b5: 2, 3, 4 never leave the server
    feed.publish('a');
    await waitForEvent(stream, 'message', (m) => (m as Msg).topic === 'a' && (m as Msg).seq === 3);
    expect(seen).toEqual(['a1', 'a2', 'b1', 'b5', 'a3']);
    expect(recorder.of('gap')).toEqual([{ expected: 2, received: 5, topic: 'b' }]);
    expect(stream.health()).toMatchObject({ duplicates: 1, gaps: 1, resyncs: 0, state: 'open' });
    expect(stream.errors).toEqual([]);
  });
});

/** A gap resync is per topic with `topicOf` (the state stays open) and stream-wide without it (the state is `resyncing`). */
const MODES = [
  { mode: 'per topic (topicOf)', topicOf: (m: Msg) => m.topic, gapState: 'open', gapTopic: { topic: 'a' } },
  { mode: 'stream-wide (no topicOf)', topicOf: undefined, gapState: 'resyncing', gapTopic: {} },
] as const;

describe.each(MODES)('resync after open and on gaps, $mode', ({ topicOf, gapState, gapTopic }) => {
  it('holds messages while the hook runs, drops what the snapshot covers and replays the rest in order', async () => {
    const feed = await openFeed();
    const replica = new Replica();
    const snapshotTaken = gate<number>();
    const release = gate();
    const calls: ResyncContext[] = [];
    const stream = openStream(feed, {
      topicOf,
      resync: async (context) => {
        calls.push(context);
        if (context.reason !== 'gap') return snapshotHook(feed, replica)(context);
        const sequence = position(feed, 'a');
        replica.reset('a', sequence);
        snapshotTaken.open(sequence);
        await release.promise;
        return { sequence };
      },
    });
    stream.on('message', (m) => replica.apply(m));
    const recorder = new EventRecorder(stream, ['state', 'gap', 'resyncing', 'resynced']);
    stream.start();
    expect(await waitForEvent(stream, 'resynced')).toMatchObject({ reason: 'connect', replayed: 0, dropped: 0 });
    await subscribed(feed, ['a']);
    for (let i = 0; i < 5; i++) feed.publish('a');
    feed.faults.gap(3, 'a');
    feed.publish('a'); // a9
    expect(await snapshotTaken.promise).toBe(9);
    expect(stream.state).toBe(gapState);
    expect(stream.health().topics['a']!.resyncing).toBe(true);
    feed.publish('a');
    feed.publish('a');
    expect(feed.faults.duplicate('a')).toBe(1); // a11 again, held like the rest
    await sleep(50);
    expect(replica.delivered.get('a')).toEqual([1, 2, 3, 4, 5]); // nothing leaked past the hold
    release.open();
    const resynced = await waitForEvent(stream, 'resynced', (e) => e.reason === 'gap');
    // a9 is in the snapshot; a10 and a11 are replayed; the repeated a11 is a counted duplicate.
    expect(resynced).toMatchObject({ reason: 'gap', replayed: 3, dropped: 1, attempts: 1 });
    expect(resynced.durationMs).toBeGreaterThanOrEqual(40);
    expect(replica.delivered.get('a')).toEqual([1, 2, 3, 4, 5, 10, 11]);
    expect(replica.violations).toEqual([]);
    expect(calls.map((c) => [c.reason, c.topics])).toEqual([['connect', ['a']], ['gap', ['a']]]);
    const gapStory = gapState === 'open' ? ['gap', 'resyncing', 'resynced'] : ['gap', 'state:resyncing', 'resyncing', 'state:open', 'resynced'];
    expect(recorder.story).toEqual(['state:connecting', 'state:resyncing', 'resyncing', 'state:open', 'resynced', ...gapStory]);
    expect(recorder.of('resyncing').map((e) => e.topics)).toEqual([['a'], ['a']]);
    expect(recorder.of('gap')).toEqual([{ expected: 6, received: 9, ...gapTopic }]);
    expect(stream.health().topics['a']!.resyncing).toBe(false);
    expect(stream.health()).toMatchObject({ gaps: 1, duplicates: 1, resyncs: 2, state: 'open' });
    expect(stream.errors).toEqual([]);
  });

  it('fetches again when the snapshot is older than the first held message, then replays correctly', async () => {
    const feed = await openFeed();
    const replica = new Replica();
    const gapCalls: number[] = [];
    const stream = openStream(feed, {
      topicOf,
      resync: async (context) => {
        if (context.reason !== 'gap') return snapshotHook(feed, replica)(context);
        gapCalls.push(position(feed, 'a'));
        if (gapCalls.length === 1) {
          replica.reset('a', 2); // a snapshot from before the held a9: useless
          return { sequence: 2 };
        }
        const sequence = position(feed, 'a');
        replica.reset('a', sequence);
        feed.publish('a'); // a10 and a11 arrive while this hook runs and are held
        feed.publish('a');
        await sleep(30);
        return { sequence };
      },
    });
    stream.on('message', (m) => replica.apply(m));
    stream.start();
    await waitForEvent(stream, 'resynced');
    await subscribed(feed, ['a']);
    for (let i = 0; i < 5; i++) feed.publish('a');
    feed.faults.gap(3, 'a');
    feed.publish('a');
    const resynced = await waitForEvent(stream, 'resynced', (e) => e.reason === 'gap');
    expect(gapCalls).toEqual([9, 9]);
    expect(resynced).toMatchObject({ attempts: 2, dropped: 1, replayed: 2 });
    expect(replica.delivered.get('a')).toEqual([1, 2, 3, 4, 5, 10, 11]);
    expect(replica.violations).toEqual([]);
    expect(stream.health().resyncs).toBe(2); // one resync, however many hook runs it took
  });

  it('restarts counting when the hook resolves without a sequence, instead of resyncing forever', async () => {
    const feed = await openFeed();
    let calls = 0;
    const stream = openStream(feed, {
      topicOf,
      resync: async () => {
        calls++;
        await sleep(5);
      },
    });
    const seqs: number[] = [];
    stream.on('message', (m) => m.seq !== undefined && seqs.push(m.seq));
    stream.start();
    await waitForEvent(stream, 'resynced');
    await subscribed(feed, ['a']);
    feed.publish('a');
    feed.faults.gap(2, 'a');
    feed.publish('a'); // a4: a gap, then a resync that says nothing about sequences
    await waitForEvent(stream, 'resynced', (e) => e.reason === 'gap');
    feed.publish('a');
    await waitForEvent(stream, 'message', (m) => (m as Msg).seq === 5);
    await sleep(50);
    expect(seqs).toEqual([1, 4, 5]);
    expect(calls).toBe(2);
    expect(stream.health()).toMatchObject({ gaps: 1, resyncs: 2, state: 'open' });
  });
});

describe('resync on a flowing feed with topicOf', () => {
  it('keeps delivery contiguous across gaps, duplicates and reconnects on a flowing feed', async () => {
    const feed = await openFeed(200);
    const replica = new Replica();
    const stream = openStream(feed, { topics: ['a', 'b'], resync: snapshotHook(feed, replica, 15) });
    stream.on('message', (m) => replica.apply(m));
    const recorder = new EventRecorder(stream, ['gap', 'resynced', 'close']);
    stream.start();
    await waitForEvent(stream, 'resynced');
    const faults = [
      () => feed.faults.gap(4, 'a'),
      () => feed.faults.duplicate('b'),
      () => feed.faults.drop(),
      () => feed.faults.gap(2),
      () => feed.faults.duplicate(),
      () => feed.faults.gap(1, 'b'),
      () => feed.faults.drop(),
    ];
    for (const inject of faults) {
      await waitForState(stream, 'open');
      await sleep(120);
      inject();
    }
    await waitForState(stream, 'open');
    await sleep(150);
    await stream.close();
    const reasons = recorder.of('resynced').map((e) => e.reason);
    expect(reasons.filter((r) => r === 'reconnect')).toHaveLength(2);
    expect(reasons.filter((r) => r === 'gap').length).toBeGreaterThanOrEqual(3);
    expect(recorder.of('gap').length).toBeGreaterThanOrEqual(3);
    expect(stream.health().duplicates).toBeGreaterThanOrEqual(1);
    expect(replica.violations).toEqual([]);
    for (const topic of ['a', 'b']) {
      const seqs = replica.delivered.get(topic) ?? [];
      expect(seqs.length).toBeGreaterThan(100);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    expect(stream.errors.map((e) => e.code)).toEqual([]);
  });
});

describe.each(MODES)('gaps found while replaying, $mode', ({ topicOf, gapState, gapTopic }) => {
  it('start the next resync at once and keep later held messages in order', async () => {
    const feed = await openFeed();
    const replica = new Replica();
    const calls: string[] = [];
    const stream = openStream(feed, {
      topicOf,
      resync: async (context) => {
        calls.push(context.reason);
        if (calls.length !== 2) return snapshotHook(feed, replica)(context);
        // The first gap resync: a snapshot at a9, then a10, a gap (a11, a12 lost), a13, a14 arrive.
        replica.reset('a', 9);
        feed.publish('a');
        feed.faults.gap(2, 'a');
        feed.publish('a');
        feed.publish('a');
        await sleep(30);
        return { sequence: 9 };
      },
    });
    stream.on('message', (m) => replica.apply(m));
    const recorder = new EventRecorder(stream, ['state', 'gap', 'resynced']);
    stream.start();
    await waitForEvent(stream, 'resynced');
    await subscribed(feed, ['a']);
    for (let i = 0; i < 5; i++) feed.publish('a');
    feed.faults.gap(3, 'a');
    feed.publish('a'); // a9
    await waitForEvent(stream, 'resynced', (e) => e.reason === 'gap' && recorder.of('resynced').length === 3);
    feed.publish('a');
    await waitForEvent(stream, 'message', (m) => (m as Msg).seq === 15);
    expect(calls).toEqual(['connect', 'gap', 'gap']);
    expect(recorder.of('gap')).toEqual([
      { expected: 6, received: 9, ...gapTopic },
      { expected: 11, received: 13, ...gapTopic },
    ]);
    expect(replica.delivered.get('a')).toEqual([1, 2, 3, 4, 5, 10, 15]);
    expect(replica.violations).toEqual([]);
    // Stream-wide: the stream never claimed to be open between the two resyncs. Per topic: it
    // never left `open` for them.
    const states = recorder.story.filter((s) => s.startsWith('state:'));
    const gapStates = gapState === 'open' ? [] : ['state:resyncing', 'state:open'];
    expect(states).toEqual(['state:connecting', 'state:resyncing', 'state:open', ...gapStates]);
  });
});

describe('a listener that replaces the socket during replay', () => {
  it('stops the replay there: the old socket says nothing more and the stream never claims open', async () => {
    const feed = await openFeed();
    const seen: string[] = [];
    let calls = 0;
    const stream = openStream(feed, {
      resync: async () => {
        calls++;
        const sequence = position(feed, 'a');
        if (calls === 1) await sleep(100); // a1..a4 arrive meanwhile and are held
        return { sequence };
      },
    });
    stream.on('message', (m) => {
      if (m.seq === undefined) return;
      seen.push(`a${m.seq}@${stream.state}`);
      if (m.seq === 2 && calls === 1) stream.reconnect('listener asked');
    });
    const recorder = new EventRecorder(stream, ['state', 'resynced']);
    stream.start();
    await subscribed(feed, ['a']);
    for (let i = 0; i < 4; i++) feed.publish('a');
    await waitForEvent(stream, 'resynced', (e) => e.reason === 'reconnect');
    expect(seen).toEqual(['a1@resyncing', 'a2@resyncing']);
    expect(recorder.story).toEqual([
      'state:connecting', 'state:resyncing', 'state:reconnecting', 'state:connecting', 'state:resyncing', 'state:open', 'resynced',
    ]);
  });
});

describe('a snapshot after open when topicOf names differ from the desired topics', () => {
  it('covers every key among the held messages, not only the desired topic names', async () => {
    // Streams named in the URL (or aliases) leave `topics` empty while topicOf still names them.
    const feed = await createFeedServer({ dialect: 'json', messagesPerSecond: 0, requireSubscribe: false, topics: ['a'] });
    cleanups.push(() => feed.close());
    const replica = new Replica();
    const stream = openStream(feed, {
      topics: [],
      resync: async () => {
        await sleep(60); // a1..a3 arrive meanwhile and are held
        const sequence = position(feed, 'a');
        replica.reset('a', sequence);
        return { sequence };
      },
    });
    stream.on('message', (m) => replica.apply(m));
    stream.start();
    await waitForEvent(stream, 'open');
    for (let i = 0; i < 3; i++) feed.publish('a');
    const resynced = await waitForEvent(stream, 'resynced');
    expect(resynced).toMatchObject({ replayed: 0, dropped: 3 });
    feed.publish('a');
    await waitForEvent(stream, 'message', (m) => (m as Msg).seq === 4);
    expect(replica.delivered.get('a')).toEqual([4]);
    expect(replica.violations).toEqual([]);
  });
});
