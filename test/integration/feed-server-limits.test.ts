import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFeedServer, type FeedServer, type FeedServerOptions } from '../../src/testing/index.js';

// Raw `ws` clients on purpose: this file checks that the server enforces each limit and answers
// it the way venues do, not how ResilientStream reacts.

type Message = any;

interface Client {
  readonly ws: WebSocket;
  readonly messages: Message[];
  readonly opened: Promise<void>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(value: unknown): void;
  waitFor(predicate: (message: Message) => boolean, timeoutMs?: number): Promise<Message>;
}

const feeds: FeedServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(feeds.splice(0).map((feed) => feed.close()));
});

async function start(options: FeedServerOptions): Promise<FeedServer> {
  const feed = await createFeedServer({ messagesPerSecond: 0, ...options });
  feeds.push(feed);
  return feed;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function connect(url: string): Client {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const messages: Message[] = [];
  ws.on('error', () => undefined);
  ws.on('message', (raw) => {
    const text = String(raw);
    try {
      messages.push(JSON.parse(text));
    } catch {
      messages.push(text);
    }
  });
  const opened = new Promise<void>((done, fail) => {
    ws.once('open', () => done());
    ws.once('error', fail);
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((done) => {
    ws.once('close', (code, reason) => done({ code, reason: String(reason) }));
  });
  const waitFor = async (predicate: (m: Message) => boolean, timeoutMs = 3000): Promise<Message> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`Expected a matching message within ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 300)}`);
      await sleep(5);
    }
  };
  return { ws, messages, opened, closed, send: (value) => ws.send(JSON.stringify(value)), waitFor };
}

/** Whether the client is still open after `ms`. */
async function stillOpenAfter(client: Client, ms: number): Promise<boolean> {
  return Promise.race([client.closed.then(() => false), sleep(ms).then(() => true)]);
}

/** The HTTP status and Retry-After of a refused upgrade, or 'open'. */
function handshakeOutcome(url: string): Promise<{ status: number | 'open'; retryAfter?: string | undefined; body?: string }> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.on('error', () => undefined);
  return new Promise((done) => {
    ws.once('open', () => done({ status: 'open' }));
    ws.once('unexpected-response', (_req, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += String(chunk)));
      response.on('end', () => done({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body }));
    });
  });
}

describe('maxConnectionAgeMs', () => {
  it('closes each connection at its age with 1001 and a reason, as Binance ends a 24-hour connection', async () => {
    const feed = await start({ limits: { maxConnectionAgeMs: 150 } });
    const dialedAt = Date.now();
    const client = connect(feed.url);
    await client.opened;
    expect(await client.closed).toMatchObject({ code: 1001, reason: 'Connection age limit reached' });
    // The server's clock starts at its handshake, after the dial began.
    expect(Date.now() - dialedAt).toBeGreaterThanOrEqual(150);
    expect(Date.now() - dialedAt).toBeLessThan(2000);
  });

  it('closes with the configured code and reason', async () => {
    const feed = await start({ limits: { maxConnectionAgeMs: 50, ageClose: { code: 4000, reason: 'rotate now' } } });
    const client = connect(feed.url);
    await client.opened;
    expect(await client.closed).toMatchObject({ code: 4000, reason: 'rotate now' });
  });
});

describe('inboundMessagesPerSecond', () => {
  it('answers the messages within the rate and closes 1008 "Too many requests" on the first one over it', async () => {
    const feed = await start({ limits: { inboundMessagesPerSecond: 5 } });
    const client = connect(feed.url);
    await client.opened;
    for (let id = 1; id <= 6; id++) client.send({ op: 'ping', id });
    expect(await client.closed).toMatchObject({ code: 1008, reason: 'Too many requests' });
    expect(client.messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    // The sixth did arrive (and is recorded); it was never answered.
    expect(feed.received.map((m) => m.data.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('leaves a client that keeps to the rate open, and closes one that goes a little over it', async () => {
    // A burst of 2 absorbs two messages that arrive together after an event-loop stall.
    const feed = await start({ limits: { inboundMessagesPerSecond: 5, inboundBurst: 2 } });
    const polite = connect(feed.url);
    const eager = connect(feed.url);
    await Promise.all([polite.opened, eager.opened]);
    const politeTimer = setInterval(() => polite.send({ op: 'ping' }), 250); // 4 per second
    const eagerTimer = setInterval(() => eager.send({ op: 'ping' }), 150); // 6.7 per second
    try {
      expect(await eager.closed).toMatchObject({ code: 1008, reason: 'Too many requests' });
      expect(await stillOpenAfter(polite, 1200)).toBe(true);
    } finally {
      clearInterval(politeTimer);
      clearInterval(eagerTimer);
    }
    expect(polite.messages.filter((m) => m.op === 'pong').length).toBeGreaterThanOrEqual(4);
  });

  it('allows inboundBurst messages at once', async () => {
    const feed = await start({ limits: { inboundMessagesPerSecond: 5, inboundBurst: 2 } });
    const client = connect(feed.url);
    await client.opened;
    for (let id = 1; id <= 3; id++) client.send({ op: 'ping', id });
    expect(await client.closed).toMatchObject({ code: 1008 });
    expect(client.messages.map((m) => m.id)).toEqual([1, 2]);
  });

  it('counts client ping frames as Binance does, and not with countControlFrames: false', async () => {
    const counting = await start({ limits: { inboundMessagesPerSecond: 5 } });
    const notCounting = await start({ limits: { inboundMessagesPerSecond: 5, countControlFrames: false } });
    const a = connect(counting.url);
    const b = connect(notCounting.url);
    await Promise.all([a.opened, b.opened]);
    for (let i = 0; i < 6; i++) {
      a.ws.ping();
      b.ws.ping();
    }
    expect(await a.closed).toMatchObject({ code: 1008, reason: 'Too many requests' });
    expect(await stillOpenAfter(b, 300)).toBe(true);
    b.send({ op: 'ping', id: 9 });
    await b.waitFor((m) => m.op === 'pong' && m.id === 9);
  });

  it('counts the pongs a client owes the server pings: a server pinging faster than the limit cuts its clients off', async () => {
    const counting = await start({ pingIntervalMs: 30, limits: { inboundMessagesPerSecond: 5 } });
    const notCounting = await start({ pingIntervalMs: 30, limits: { inboundMessagesPerSecond: 5, countControlFrames: false } });
    const a = connect(counting.url);
    const b = connect(notCounting.url);
    expect(await a.closed).toMatchObject({ code: 1008, reason: 'Too many requests' });
    expect(await stillOpenAfter(b, 500)).toBe(true);
  });
});

describe('maxTopicsPerConnection', () => {
  it('json: refuses a subscribe that would pass the limit, whole, with the dialect error; held topics do not count twice', async () => {
    const feed = await start({ limits: { maxTopicsPerConnection: 3 } });
    const client = connect(feed.url);
    const { id } = await feed.waitForConnections(1);
    await client.opened;
    client.send({ op: 'subscribe', topics: ['a', 'b'], id: 1 });
    await client.waitFor((m) => m.id === 1);
    client.send({ op: 'subscribe', topics: ['c', 'd'], id: 2 });
    const refusal = await client.waitFor((m) => m.id === 2);
    expect(refusal).toEqual({ op: 'error', message: 'Too many streams: this connection holds 2 of at most 3; subscribing 2 more is refused.', id: 2 });
    expect(feed.subscriptions(id)).toEqual(['a', 'b']);
    client.send({ op: 'subscribe', topics: ['a', 'c'], id: 3 });
    expect(await client.waitFor((m) => m.id === 3)).toEqual({ op: 'subscribed', topics: ['a', 'c'], id: 3 });
    client.send({ op: 'unsubscribe', topics: ['b'], id: 4 });
    client.send({ op: 'subscribe', topics: ['d'], id: 5 });
    expect(await client.waitFor((m) => m.id === 5)).toMatchObject({ op: 'subscribed' });
    expect(feed.subscriptions(id)).toEqual(['a', 'c', 'd']);
  });

  it('binance: answers in Binance error shape, and refuses a handshake whose URL names too many streams', async () => {
    const feed = await start({ dialect: 'binance', limits: { maxTopicsPerConnection: 2 } });
    const client = connect(`${feed.url}/ws`);
    await client.opened;
    client.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'ethusdt@trade', 'bnbusdt@trade'], id: 1 });
    const refusal = await client.waitFor((m) => m.id === 1);
    expect(refusal).toMatchObject({ error: { code: 2, msg: expect.stringContaining('Too many streams') }, id: 1 });
    expect(feed.subscriptions()).toEqual([]);
    const tooMany = await handshakeOutcome(`${feed.url}/stream?streams=btcusdt@trade/ethusdt@trade/bnbusdt@trade`);
    expect(tooMany).toMatchObject({ status: 400, body: expect.stringContaining('Too many streams') });
    expect(await handshakeOutcome(`${feed.url}/stream?streams=btcusdt@trade/ethusdt@trade`)).toEqual({ status: 'open' });
  });
});

describe('dialsPerSecond', () => {
  it('answers an upgrade over the rate 429 with Retry-After, and accepts again once the bucket refilled', async () => {
    const feed = await start({ limits: { dialsPerSecond: 2 } });
    const outcomes = await Promise.all([1, 2, 3].map(() => handshakeOutcome(feed.url)));
    expect(outcomes.map((o) => o.status).sort()).toEqual([429, 'open', 'open']);
    expect(outcomes.find((o) => o.status === 429)).toMatchObject({ retryAfter: '1', body: expect.stringContaining('Too many connection attempts') });
    expect(feed.state()).toMatchObject({ handshakeAttempts: 3, handshakesRejected: 1, connectionsAccepted: 2 });
    // Half a second later one token at least (two at most) is back: of three more dials, one is refused.
    await sleep(550);
    const later = (await Promise.all([1, 2, 3].map(() => handshakeOutcome(feed.url)))).map((o) => o.status);
    expect(later).toContain('open');
    expect(later).toContain(429);
  });
});

describe('notice()', () => {
  it('sends the dialect notice, closes the notified connections closeAfterMs later with 1001, and spares later ones', async () => {
    const feed = await start({ dialect: 'binance' });
    const old = connect(`${feed.url}/ws`);
    await old.opened;
    const noticedAt = Date.now();
    feed.faults.notice({ closeAfterMs: 150 });
    const notice = await old.waitFor((m) => m.e === 'serverShutdown');
    expect(notice).toEqual({ e: 'serverShutdown', E: expect.any(Number) });
    const fresh = connect(`${feed.url}/ws`);
    await fresh.opened;
    expect(await old.closed).toMatchObject({ code: 1001, reason: 'Server shutting down' });
    expect(Date.now() - noticedAt).toBeGreaterThanOrEqual(145);
    expect(await stillOpenAfter(fresh, 300)).toBe(true);
    expect(fresh.messages).toEqual([]);
  });

  it('works over HTTP with a code and a reason; clear() cancels a pending close', async () => {
    const feed = await start({});
    const first = connect(feed.url);
    await first.opened;
    const response = await fetch(`${feed.httpUrl}/control/notice`, {
      method: 'POST',
      body: JSON.stringify({ closeAfterMs: 30, code: 4001, reason: 'deploy' }),
    });
    expect(response.status).toBe(200);
    expect(await first.closed).toMatchObject({ code: 4001, reason: 'deploy' });
    expect(first.messages).toEqual([{ op: 'shutdown', ts: expect.any(Number) }]);

    const second = connect(feed.url);
    await second.opened;
    feed.faults.notice({ closeAfterMs: 100 });
    feed.faults.clear();
    expect(await stillOpenAfter(second, 300)).toBe(true);
    const bad = await fetch(`${feed.httpUrl}/control/notice`, { method: 'POST', body: JSON.stringify({ code: 1006 }) });
    expect(bad.status).toBe(400);
  });
});

describe('limits option', () => {
  it.each([
    [{ inboundMessagesPerSecond: 0 }, 'Expected `limits.inboundMessagesPerSecond` to be a finite number > 0, got 0.'],
    [{ maxTopicsPerConnection: 1.5 }, 'Expected `limits.maxTopicsPerConnection` to be an integer >= 1, got 1.5.'],
    [{ dialsPerSecond: 2, dialBurst: 0.5 }, 'Expected `limits.dialBurst` to be a finite number >= 1, got 0.5.'],
    [{ countControlFrames: 'yes' }, 'Expected `limits.countControlFrames` to be a boolean, got "yes".'],
    [{ maxConnectionAgeMs: 2 ** 31 }, 'Expected `limits.maxConnectionAgeMs` to be a number of ms from 1 to 2147483647, got 2147483648.'],
    [{ maxConnectionAgeMs: 10, ageClose: { code: 1006 } }, 'Expected `limits.ageClose.code` to be a close code from 1000-1003, 1007-1014 or 3000-4999, got 1006.'],
    ['none', 'Expected `limits` to be an object, got "none".'],
  ])('rejects %j', async (limits, message) => {
    await expect(createFeedServer({ limits: limits as FeedServerOptions['limits'] })).rejects.toThrow(new TypeError(message));
  });
});
