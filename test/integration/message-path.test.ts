import { describe, expect, it } from 'vitest';
import { ResilientStream, type ResilientStreamError } from '../../src/index.js';
import { sleep, waitForState } from '../helpers/events.js';
import { jsonOptions, jsonStream, openFeed, track, useCleanup, type FeedMessage } from '../helpers/fixtures.js';

// The per-message path against a real feed: what reaches `message` and `data` listeners (also
// listeners added or removed while a message is being delivered), and what `sequence` answers do.

useCleanup();

type Options = Parameters<typeof jsonStream>[1];

/** An open stream that was sent `frames` verbatim and delivered `expected` of them as `message`s. */
async function deliver(frames: readonly object[], options: Options, listen = (_stream: ReturnType<typeof jsonStream>): void => {},
  expected = frames.length) {
  const feed = await openFeed();
  const stream = jsonStream(feed, options);
  const messages: FeedMessage[] = [];
  stream.on('message', (message) => messages.push(message));
  listen(stream);
  stream.start();
  await waitForState(stream, 'open');
  for (const frame of frames) feed.sendRaw(JSON.stringify(frame));
  for (let waited = 0; messages.length < expected && waited < 2_000; waited += 10) await sleep(10);
  return { stream, messages };
}

const tick = (seq: number): object => ({ topic: 'a', seq, ts: 0, data: seq });
const ack = { ack: 1 };

describe('message and data listeners', () => {
  it('data gets only what passes isData; message gets every message', async () => {
    const data: FeedMessage[] = [];
    const { messages } = await deliver([tick(1), ack, tick(2)], {}, (stream) => stream.on('data', (message) => data.push(message)));
    await sleep(50);
    expect(messages).toHaveLength(3);
    expect(data.map((message) => message.seq)).toEqual([1, 2]);
  });

  it('without isData, data gets every message', async () => {
    const data: FeedMessage[] = [];
    await deliver([tick(1), ack], { isData: undefined }, (stream) => stream.on('data', (message) => data.push(message)));
    await sleep(50);
    expect(data).toHaveLength(2);
  });

  it('a data listener added inside a message listener gets that same message; one removed there does not', async () => {
    const added: FeedMessage[] = [];
    const removed: FeedMessage[] = [];
    const onRemoved = (message: FeedMessage): void => void removed.push(message);
    const { stream } = await deliver([tick(1), tick(2)], {}, (s) => {
      s.on('data', onRemoved);
      s.once('message', () => {
        s.on('data', (message) => added.push(message));
        s.off('data', onRemoved);
      });
    });
    await sleep(50);
    expect(added.map((message) => message.seq)).toEqual([1, 2]);
    expect(removed).toEqual([]);
    expect(stream.listenerCount('data')).toBe(1);
  });

  it('once(data) gets one message, and data listeners that throw do not stop the others', async () => {
    const once: FeedMessage[] = [];
    const after: FeedMessage[] = [];
    const { stream } = await deliver([tick(1), tick(2), tick(3)], {}, (s) => {
      s.once('data', (message) => once.push(message));
      s.on('data', () => { throw null; });
      s.on('data', (message) => after.push(message));
    });
    await sleep(50);
    expect(once.map((message) => message.seq)).toEqual([1]);
    expect(after.map((message) => message.seq)).toEqual([1, 2, 3]);
    expect(stream.errors.map((error) => (error as ResilientStreamError).code)).toEqual(['RS_LISTENER', 'RS_LISTENER', 'RS_LISTENER']);
  });
  it('an iterator or a rotation started inside a message listener sees that same message, and the ones after', async () => {
    // The first iterator or optional part switches the per-message path to fan out: the message
    // being delivered when that happens must still reach them.
    let iterator: AsyncIterator<FeedMessage> | undefined;
    let rotating: Promise<void> | undefined;
    const { stream } = await deliver([tick(1), tick(2), tick(3)], { dedupeKey: (message) => String(message.seq) }, (s) => {
      s.once('message', () => {
        iterator = s[Symbol.asyncIterator]();
        rotating = s.rotate().catch(() => undefined);
      });
    });
    const taken: unknown[] = [];
    const nextOrNothing = (): Promise<unknown> => Promise.race([iterator!.next().then((result) => (result.value as FeedMessage).seq), sleep(2_000).then(() => 'nothing')]);
    for (let i = 0; i < 3; i++) taken.push(await nextOrNothing());
    expect(taken).toEqual([1, 2, 3]);
    await iterator!.return?.();
    await stream.close();
    await rotating;
    expect(stream.errors.filter((error) => (error as ResilientStreamError).code !== 'RS_ROTATION_FAILED')).toEqual([]);
  });

  it('a subclass\'s own methods, whatever their names, cannot keep data listeners from hearing', async () => {
    // The stream learns of a first `data` listener through a private hook: a subclass that defines
    // a method of the name such a hook would have as a protected one changes nothing.
    class Custom extends ResilientStream<FeedMessage, unknown> {
      listenerAdded(): void {}
    }
    const feed = await openFeed();
    const stream = track(new Custom(jsonOptions(feed, {})));
    const data: FeedMessage[] = [];
    stream.on('data', (message) => data.push(message));
    stream.start();
    await waitForState(stream, 'open');
    feed.sendRaw(JSON.stringify(tick(1)));
    for (let waited = 0; data.length === 0 && waited < 2_000; waited += 10) await sleep(10);
    expect(data.map((message) => message.seq)).toEqual([1]);
  });
});

describe('sequence answers on the message path', () => {
  it('a plain number: duplicates are dropped and counted, every new number is delivered once', async () => {
    const frames = [tick(1), tick(2), tick(2), tick(3), tick(1), tick(4)];
    const { stream, messages } = await deliver(frames, { sequence: (message) => message.seq }, undefined, 4);
    await sleep(50);
    expect(messages.map((message) => message.seq)).toEqual([1, 2, 3, 4]);
    expect(stream.health()).toMatchObject({ gaps: 0, duplicates: 2 });
  });

  it.each([
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['beyond 2^53', 2 ** 53],
    ['a numeric string', '5'],
    ['a reversed pair', [3, 1]],
  ])('%s is RS_SEQUENCE, and the message is delivered untracked', async (_name, answer) => {
    const { stream, messages } = await deliver([tick(1), tick(2)], { sequence: () => answer as number });
    await sleep(50);
    expect(messages).toHaveLength(2);
    expect(stream.errors.map((error) => (error as ResilientStreamError).code)).toEqual(['RS_SEQUENCE', 'RS_SEQUENCE']);
    expect(stream.health()).toMatchObject({ gaps: 0, duplicates: 0 });
  });
});
