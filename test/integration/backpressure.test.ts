import { describe, expect, it } from 'vitest';
import { sleep, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, serverHasSubscribed, useCleanup } from '../helpers/fixtures.js';

useCleanup();

describe('pause() and resume()', () => {
  it('a paused stream stops reading its socket, is never judged stale, and delivers everything after resume()', async () => {
    const feed = await openFeed({ messagesPerSecond: 200 });
    const stream = jsonStream(feed, { topics: ['a'], staleAfterMs: 150, sequence: (m) => m.seq }).start();
    const seqs: number[] = [];
    stream.on('message', (m) => { if (m.seq !== undefined) seqs.push(m.seq); });
    await waitForState(stream, 'open');
    await sleep(100);
    stream.pause();
    expect(stream.health().paused).toBe(true);
    await sleep(50); // what was already read may still arrive
    const before = seqs.length;
    await sleep(400); // well past staleAfterMs
    expect(seqs.length).toBe(before);
    expect(stream.state).toBe('open');
    expect(stream.errors).toEqual([]);
    stream.resume();
    await sleep(200);
    expect(stream.health().paused).toBe(false);
    expect(seqs.length).toBeGreaterThan(before + 40); // the server's backlog and new messages
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
  });
});

describe('async iteration with a slow consumer', () => {
  it('50k messages through for await with a slow body: nothing lost, no error, the socket paused and resumed', async () => {
    const total = 50_000;
    const feed = await openFeed({ messagesPerSecond: 0 });
    const stream = jsonStream(feed, { topics: ['a'], iteratorBufferSize: 1_000, staleAfterMs: 2_000 }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    let pauses = 0;
    let wasPaused = false;
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const message of stream) {
        if (message.seq === undefined) continue;
        seen.push(message.seq);
        const paused = stream.isPaused;
        if (paused && !wasPaused) pauses++;
        wasPaused = paused;
        // A slow body: yield to the event loop every 500 messages.
        if (seen.length % 500 === 0) await sleep(1);
        if (seen.length === total) break;
      }
    })();
    for (let i = 0; i < total; i += 1_000) {
      for (let j = 0; j < 1_000; j++) feed.publish('a');
      await sleep(0);
    }
    await consumer;
    expect(seen).toHaveLength(total);
    for (let i = 1; i < seen.length; i++) if (seen[i] !== seen[i - 1]! + 1) throw new Error(`out of order at ${i}: ${seen[i - 1]} -> ${seen[i]}`);
    expect(pauses).toBeGreaterThan(0);
    expect(stream.isPaused).toBe(false); // break released the iterator's hold
    expect(stream.errors).toEqual([]);
  });

  it("with iteratorOverflow 'error' the same slow consumer gets RS_ITERATOR_OVERFLOW (the test can fail)", async () => {
    const feed = await openFeed({ messagesPerSecond: 0 });
    const stream = jsonStream(feed, { topics: ['a'], iteratorBufferSize: 100, iteratorOverflow: 'error' }).start();
    await waitForState(stream, 'open');
    await serverHasSubscribed(feed, ['a']);
    const consumer = (async () => {
      for await (const message of stream) {
        void message;
        await sleep(5);
      }
    })();
    for (let i = 0; i < 500; i++) feed.publish('a');
    await expect(consumer).rejects.toMatchObject({ code: 'RS_ITERATOR_OVERFLOW' });
  });
});
