import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';
import { jsonStream, openFeed, useCleanup } from '../helpers/fixtures.js';

useCleanup();
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.RESILIENT_STREAM_DEBUG;
});

describe('logger', () => {
  it('writes structured lines to pino: state, open, close, reconnecting, with redacted urls', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const logger = pino({ level: 'debug' }, sink);
    const feed = await openFeed();
    const stream = jsonStream(feed, { url: `${feed.url}?token=secret`, logger }).start();
    await waitForState(stream, 'open');
    feed.faults.drop();
    await waitForEvent(stream, 'open', (event) => event.isReconnect);
    await sleep(20);
    const events = lines.map((line) => line.event);
    expect(events).toEqual(expect.arrayContaining(['state', 'open', 'close', 'reconnecting']));
    const open = lines.find((line) => line.event === 'open')!;
    expect(open).toMatchObject({ level: 30, attempt: 0, msg: 'socket open (attempt 0)' });
    expect(String(open.url)).toContain('token=***');
    expect(JSON.stringify(lines)).not.toContain('secret');
    expect(lines.find((line) => line.event === 'reconnecting')).toMatchObject({ level: 40 });
  });

  it('works with console as it is, and a throwing logger never stops the stream', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const feed = await openFeed();
    const stream = jsonStream(feed, { logger: console }).start();
    await waitForState(stream, 'open');
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ event: 'open' }), 'socket open (attempt 0)');
    const broken = jsonStream(feed, { logger: { info: () => { throw new Error('disk full'); } } }).start();
    await waitForState(broken, 'open');
    expect(broken.errors).toEqual([]);
  });

  it('is silent by default, and RESILIENT_STREAM_DEBUG=1 logs to console', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    const feed = await openFeed();
    const quiet = jsonStream(feed).start();
    await waitForState(quiet, 'open');
    expect(debug).not.toHaveBeenCalled();
    process.env.RESILIENT_STREAM_DEBUG = '1';
    const loud = jsonStream(feed).start();
    await waitForState(loud, 'open');
    expect(debug).toHaveBeenCalledWith(expect.objectContaining({ event: 'state', to: 'connecting' }), 'state idle -> connecting');
  });

  it('refuses a logger without any logging method', () => {
    expect(() => jsonStream({ url: 'ws://127.0.0.1:1/' } as never, { logger: {} as never })).toThrow(/Expected `logger`/);
  });
});
