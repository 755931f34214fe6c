import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  CONTROL_ACTIONS,
  createFeedServer,
  FEED_SERVER_DEFAULTS,
  type BookSnapshot,
  type DepthUpdateEvent,
  type FeedServer,
  type FeedServerOptions,
} from '../../src/testing/index.js';

// Raw `ws` clients on purpose: this file checks the server, not ResilientStream.

/** A decoded frame; `any` so assertions can read fields of either dialect directly. */
type Message = any;

interface Client {
  readonly ws: WebSocket;
  readonly messages: Message[];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  send(value: unknown): void;
  /** Resolves with the first message at index >= `from` matching the predicate. */
  waitFor(predicate: (message: Message) => boolean, from?: number, timeoutMs?: number): Promise<Message>;
}

const feeds: FeedServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(feeds.splice(0).map((feed) => feed.close()));
});

async function start(options: FeedServerOptions = {}): Promise<FeedServer> {
  const feed = await createFeedServer(options);
  feeds.push(feed);
  return feed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function connect(url: string): Client {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const messages: Message[] = [];
  const listeners = new Set<() => void>();
  ws.on('error', () => undefined);
  ws.on('message', (raw) => {
    const text = String(raw);
    messages.push(parse(text));
    for (const listener of [...listeners]) listener();
  });
  const opened = new Promise<void>((done, fail) => {
    ws.once('open', () => done());
    ws.once('error', fail);
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((done) => {
    ws.once('close', (code, reason) => done({ code, reason: String(reason) }));
  });
  const waitFor = (predicate: (m: Message) => boolean, from = 0, timeoutMs = 3000): Promise<Message> =>
    new Promise((done, fail) => {
      const check = (): void => {
        const found = messages.slice(from).find(predicate);
        if (found === undefined) return;
        listeners.delete(check);
        clearTimeout(timer);
        done(found);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        fail(new Error(`Expected a matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.slice(from)).slice(0, 300)}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { ws, messages, opened, closed, send: (value) => ws.send(JSON.stringify(value)), waitFor };
}

function parse(text: string): Message {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function subscribedClient(feed: FeedServer, topics: string[]): Promise<Client> {
  const client = connect(feed.url);
  await client.opened;
  client.send({ op: 'subscribe', topics, id: 1 });
  await client.waitFor((m) => m.op === 'subscribed');
  return client;
}

function dataOf(client: Client, topic: string, from = 0): Message[] {
  return client.messages.slice(from).filter((m) => m.topic === topic);
}

function expectConsecutive(seqs: number[]): void {
  expect(seqs.length).toBeGreaterThan(1);
  seqs.slice(1).forEach((seq, i) => expect(seq).toBe((seqs[i] as number) + 1));
}

/** Whether a protocol ping gets its pong within `windowMs`. */
async function pingAnswered(ws: WebSocket, windowMs: number): Promise<boolean> {
  return new Promise((done) => {
    const timer = setTimeout(() => {
      ws.off('pong', onPong);
      done(false);
    }, windowMs);
    const onPong = (): void => {
      clearTimeout(timer);
      done(true);
    };
    ws.once('pong', onPong);
    ws.ping();
  });
}

/** Resolves with the HTTP status (and response) when the upgrade is refused, or 'open'. */
function handshakeOutcome(url: string): Promise<{ status: number | 'open'; response?: IncomingMessage }> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.on('error', () => undefined);
  return new Promise((done) => {
    ws.once('open', () => done({ status: 'open' }));
    ws.once('unexpected-response', (_req, response) => {
      done({ status: response.statusCode ?? 0, response });
      response.resume();
    });
  });
}

async function control(feed: FeedServer, action: string, body?: unknown): Promise<{ status: number; json: Message }> {
  const response = await fetch(`${feed.httpUrl}/control/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('json dialect', () => {
  it('acknowledges subscribe and unsubscribe with the request id and streams only subscribed topics', async () => {
    const feed = await start({ messagesPerSecond: 50 });
    const client = await subscribedClient(feed, ['a']);
    expect(client.messages[0]).toEqual({ op: 'subscribed', topics: ['a'], id: 1 });
    await client.waitFor((m) => m.topic === 'a' && dataOf(client, 'a').length >= 5);
    expect(dataOf(client, 'b')).toEqual([]);
    const first = dataOf(client, 'a')[0];
    expect(first).toMatchObject({ topic: 'a', ts: expect.any(Number), data: { price: expect.any(String), qty: expect.any(String) } });
    client.send({ op: 'unsubscribe', topics: ['a'], id: 2 });
    await client.waitFor((m) => m.op === 'unsubscribed');
    expect(client.messages.find((m) => m.op === 'unsubscribed')).toEqual({ op: 'unsubscribed', topics: ['a'], id: 2 });
    const mark = client.messages.length;
    await sleep(150);
    expect(dataOf(client, 'a', mark + 1)).toEqual([]);
  });

  it('numbers each topic +1 per message, shared by every connection', async () => {
    const feed = await start({ messagesPerSecond: 200 });
    const early = await subscribedClient(feed, ['a', 'b']);
    await early.waitFor(() => dataOf(early, 'a').length >= 10);
    const late = await subscribedClient(feed, ['a']);
    await late.waitFor(() => dataOf(late, 'a').length >= 5);
    expectConsecutive(dataOf(early, 'a').map((m) => m.seq));
    expectConsecutive(dataOf(early, 'b').map((m) => m.seq));
    expect(dataOf(early, 'a')[0].seq).toBe(1);
    // The late joiner starts mid-stream, and sees exactly what the early one saw for those seqs.
    const lateFirst = dataOf(late, 'a')[0];
    expect(lateFirst.seq).toBeGreaterThan(1);
    expect(dataOf(early, 'a').find((m) => m.seq === lateFirst.seq)).toEqual(lateFirst);
    const published = feed.published('a') as Message[];
    expect(published.slice(0, 10)).toEqual(dataOf(early, 'a').slice(0, 10));
  });

  it('emits bursts when the rate outruns one timer tick', async () => {
    const feed = await start({ messagesPerSecond: 500 });
    const client = await subscribedClient(feed, ['fast']);
    const began = Date.now();
    await client.waitFor(() => dataOf(client, 'fast').length >= 100, 0, 5000);
    // 100 messages at 500/s need ~200 ms; with one message per tick they would need >= 2 s.
    expect(Date.now() - began).toBeLessThan(1500);
    expectConsecutive(dataOf(client, 'fast').map((m) => m.seq));
  });

  it('answers app pings, reports errors and enforces the configured topics', async () => {
    const feed = await start({ messagesPerSecond: 0, topics: ['a'] });
    const client = connect(feed.url);
    await client.opened;
    client.send({ op: 'ping', id: 7 });
    expect(await client.waitFor((m) => m.op === 'pong')).toEqual({ op: 'pong', id: 7 });
    client.send({ op: 'subscribe', topics: ['a', 'nope'], id: 3 });
    const error = await client.waitFor((m) => m.op === 'error');
    expect(error).toMatchObject({ op: 'error', id: 3, message: expect.stringContaining('"nope"') });
    expect(feed.subscriptions(1)).toEqual([]); // all or nothing
    client.ws.send('not json');
    await client.waitFor((m) => m.op === 'error' && m.id === undefined);
    client.send({ op: 'list', id: 4 });
    expect(await client.waitFor((m) => m.op === 'subscriptions')).toEqual({ op: 'subscriptions', topics: [], id: 4 });
    expect(() => feed.publish('nope')).toThrow(/configured topics/);
  });

  it('records messages, counts connections and emits connection, message and disconnect', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    const events: string[] = [];
    feed.on('connection', (info) => events.push(`connection ${info.id} ${info.url}`));
    feed.on('message', (m) => events.push(`message ${m.connectionId} ${m.data.op}`));
    feed.on('disconnect', (e) => events.push(`disconnect ${e.connectionId} ${e.code}`));
    const client = connect(`${feed.url}/?token=abc`);
    const info = await feed.waitForConnections(1);
    expect(info).toMatchObject({ id: 1, url: '/?token=abc', headers: expect.objectContaining({ host: expect.any(String) }) });
    await client.opened;
    client.send({ op: 'subscribe', topics: ['x'], id: 1 });
    const got = await feed.waitForMessage((data) => data.op === 'subscribe');
    expect(got).toMatchObject({ connectionId: 1, at: expect.any(Number), data: { op: 'subscribe', topics: ['x'], id: 1 } });
    await client.waitFor((m) => m.op === 'subscribed');
    expect(feed.subscriptions(1)).toEqual(['x']);
    expect(feed.subscriptions()).toEqual(['x']);
    const sent = feed.publish('x', { hello: 1 });
    expect(await client.waitFor((m) => m.topic === 'x')).toEqual(sent);
    expect(sent).toMatchObject({ topic: 'x', seq: 1, data: { hello: 1 } });
    expect(feed.handshakeTimes).toHaveLength(1);
    expect([feed.connectionCount, feed.connectionsAccepted]).toEqual([1, 1]);
    client.ws.close(1000);
    await client.closed;
    await expect.poll(() => feed.connectionCount).toBe(0);
    expect(events).toEqual(['connection 1 /?token=abc', 'message 1 subscribe', 'disconnect 1 1000']);
    await expect(feed.waitForConnections(2, 100)).rejects.toThrow(/Expected 2 accepted connection\(s\) within 100 ms, got 1/);
  });
});

describe('binance dialect', () => {
  it('answers SUBSCRIBE and LIST_SUBSCRIPTIONS like Binance and sends well-formed trade and depth events', async () => {
    const feed = await start({ dialect: 'binance', messagesPerSecond: 100 });
    const client = connect(`${feed.url}/ws`);
    await client.opened;
    client.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'btcusdt@depth@100ms'], id: 1 });
    expect(await client.waitFor((m) => 'result' in m)).toEqual({ result: null, id: 1 });
    await client.waitFor(() => client.messages.filter((m) => m.e === 'depthUpdate').length >= 8);
    await client.waitFor(() => client.messages.filter((m) => m.e === 'trade').length >= 8);
    const trades = client.messages.filter((m) => m.e === 'trade');
    expect(Object.keys(trades[0])).toEqual(['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M']);
    expect(trades[0]).toMatchObject({ s: 'BTCUSDT', p: expect.stringMatching(/^\d+\.\d{8}$/), m: expect.any(Boolean), M: true });
    expectConsecutive(trades.map((t) => t.t));
    const depth = client.messages.filter((m) => m.e === 'depthUpdate') as DepthUpdateEvent[];
    expect(Object.keys(depth[0] as object)).toEqual(['e', 'E', 's', 'U', 'u', 'b', 'a']);
    depth.forEach((event, i) => {
      expect(event.u - event.U).toBeGreaterThanOrEqual(0);
      expect(event.u - event.U).toBeLessThanOrEqual(2);
      if (i > 0) expect(event.U).toBe((depth[i - 1] as DepthUpdateEvent).u + 1);
    });
    client.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    expect(await client.waitFor((m) => m.id === 2)).toEqual({ result: ['btcusdt@trade', 'btcusdt@depth@100ms'], id: 2 });
    client.send({ method: 'UNSUBSCRIBE', params: ['btcusdt@trade'], id: 3 });
    expect(await client.waitFor((m) => m.id === 3)).toEqual({ result: null, id: 3 });
    client.send({ method: 'SUBSCRIBE', params: ['BTCUSDT@bogus'], id: 4 });
    expect(await client.waitFor((m) => m.id === 4)).toMatchObject({ error: { code: 2, msg: expect.any(String) } });
  });

  it('subscribes from the URL: raw /ws/<stream> and combined /stream?streams=a/b', async () => {
    const feed = await start({ dialect: 'binance', messagesPerSecond: 0 });
    const raw = connect(`${feed.url}/ws/ethusdt@trade`);
    const combined = connect(`${feed.url}/stream?streams=ethusdt@trade/ethusdt@depth`);
    await Promise.all([raw.opened, combined.opened]);
    const trade = feed.publish('ethusdt@trade', { p: '1.00000000' }) as Message;
    const depth = feed.publish('ethusdt@depth') as Message;
    expect(await raw.waitFor((m) => m.e === 'trade')).toEqual(trade);
    expect(trade).toMatchObject({ s: 'ETHUSDT', p: '1.00000000' });
    expect(await combined.waitFor((m) => m.stream === 'ethusdt@trade')).toEqual({ stream: 'ethusdt@trade', data: trade });
    expect(await combined.waitFor((m) => m.stream === 'ethusdt@depth')).toEqual({ stream: 'ethusdt@depth', data: depth });
    expect(raw.messages.some((m) => m.e === 'depthUpdate')).toBe(false);
    expect(await handshakeOutcome(`${feed.url}/nowhere`)).toMatchObject({ status: 404 });
    expect(await handshakeOutcome(`${feed.url}/ws/not-a-stream`)).toMatchObject({ status: 400 });
  });

  it('serves REST snapshots from which the Binance procedure rebuilds feed.book() exactly', async () => {
    const feed = await start({ dialect: 'binance', messagesPerSecond: 0, snapshotDelayMs: 40 });
    const client = connect(`${feed.url}/ws/btcusdt@depth`);
    await client.opened;
    // Keep the stream moving while the snapshot is on its way, so events straddle it.
    const pump = setInterval(() => feed.publish('btcusdt@depth'), 5);
    try {
      await client.waitFor(() => client.messages.length >= 3);
      feed.faults.staleSnapshot();
      const { book, fetches } = await syncLocalBook(feed, client);
      expect(fetches).toBe(2); // the stale one was refused, the second used
      clearInterval(pump);
      feed.publish('btcusdt@depth', { b: [['1.5', '2']] });
      const truth = feed.book('BTCUSDT');
      await client.waitFor((m) => m.u === truth.lastUpdateId);
      book.applyAll(client.messages);
      expect(book.snapshot()).toEqual(truth);
      expect(truth.bids.at(-1)).toEqual(['1.50000000', '2.00000000']);
    } finally {
      clearInterval(pump);
    }
  });

  it('answers malformed snapshot requests with Binance error codes and sorts books best first', async () => {
    const feed = await start({ dialect: 'binance', messagesPerSecond: 0, topics: ['btcusdt@trade'] });
    const missing = await fetch(`${feed.httpUrl}/api/v3/depth`);
    expect([missing.status, (await missing.json()).code]).toEqual([400, -1102]);
    const unknown = await fetch(`${feed.httpUrl}/api/v3/depth?symbol=DOGEUSDT`);
    expect([unknown.status, (await unknown.json()).code]).toEqual([400, -1121]);
    const limited = (await (await fetch(`${feed.httpUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`)).json()) as BookSnapshot;
    expect([limited.bids.length, limited.asks.length]).toEqual([5, 5]);
    const prices = (levels: BookSnapshot['bids']): number[] => levels.map(([price]) => Number(price));
    expect(prices(limited.bids)).toEqual([...prices(limited.bids)].sort((a, b) => b - a));
    expect(prices(limited.asks)).toEqual([...prices(limited.asks)].sort((a, b) => a - b));
    expect(prices(limited.bids)[0]).toBeLessThan(prices(limited.asks)[0] as number);
    expect(() => feed.book('btcusdt')).not.toThrow();
  });
});

/** A client-side local book following Binance's documented procedure. */
class LocalBook {
  lastUpdateId: number;
  readonly #bids: Map<string, string>;
  readonly #asks: Map<string, string>;

  constructor(snapshot: BookSnapshot) {
    this.lastUpdateId = snapshot.lastUpdateId;
    this.#bids = new Map(snapshot.bids);
    this.#asks = new Map(snapshot.asks);
  }

  /** Applies held or new events in order, enforcing the first-event and continuity rules. */
  applyAll(events: Message[]): void {
    for (const event of events) {
      if (event.e !== 'depthUpdate' || event.u <= this.lastUpdateId) continue;
      if (event.U > this.lastUpdateId + 1) throw new Error(`Gap: book at ${this.lastUpdateId}, event U=${event.U}`);
      for (const [side, levels] of [[this.#bids, event.b], [this.#asks, event.a]] as const) {
        for (const [price, qty] of levels as string[][]) {
          if (Number(qty) === 0) side.delete(price as string);
          else side.set(price as string, qty as string);
        }
      }
      this.lastUpdateId = event.u;
    }
  }

  snapshot(): BookSnapshot {
    const sorted = (side: Map<string, string>, sign: number): BookSnapshot['bids'] =>
      [...side].sort((a, b) => sign * (Number(a[0]) - Number(b[0])));
    return { lastUpdateId: this.lastUpdateId, bids: sorted(this.#bids, -1), asks: sorted(this.#asks, 1) };
  }
}

async function syncLocalBook(feed: FeedServer, client: Client): Promise<{ book: LocalBook; fetches: number }> {
  const firstHeld = client.messages.find((m) => m.e === 'depthUpdate');
  for (let fetches = 1; fetches <= 5; fetches += 1) {
    const response = await fetch(`${feed.httpUrl}/api/v3/depth?symbol=BTCUSDT&limit=1000`);
    const snapshot = (await response.json()) as BookSnapshot;
    if (snapshot.lastUpdateId < firstHeld.U) continue; // older than what we hold: fetch again
    const first = await client.waitFor((m) => m.u > snapshot.lastUpdateId);
    expect(first.U).toBeLessThanOrEqual(snapshot.lastUpdateId + 1);
    expect(first.u).toBeGreaterThanOrEqual(snapshot.lastUpdateId + 1);
    const book = new LocalBook(snapshot);
    return { book, fetches };
  }
  throw new Error('Expected a usable snapshot within 5 fetches');
}

describe('faults', () => {
  it('stall: pings are still answered but no data or heartbeats arrive; resume continues the sequence with a jump', async () => {
    const feed = await start({ messagesPerSecond: 100, heartbeatIntervalMs: 40 });
    const client = await subscribedClient(feed, ['a']);
    await client.waitFor(() => dataOf(client, 'a').length >= 3);
    await client.waitFor((m) => m.op === 'heartbeat');
    feed.faults.stall();
    await sleep(30); // let frames already in flight land
    const mark = client.messages.length;
    const lastSeq = dataOf(client, 'a').at(-1).seq;
    client.send({ op: 'ping', id: 9 });
    expect(await client.waitFor((m) => m.op === 'pong', mark)).toEqual({ op: 'pong', id: 9 });
    expect(await pingAnswered(client.ws, 1000)).toBe(true);
    await sleep(250);
    expect(client.messages.slice(mark).filter((m) => m.op !== 'pong')).toEqual([]);
    feed.faults.resume();
    const next = await client.waitFor((m) => m.topic === 'a', mark);
    // Generation went on while stalled: the messages were lost, so the client sees a jump.
    expect(next.seq).toBeGreaterThan(lastSeq + 1);
    await client.waitFor((m) => m.op === 'heartbeat', mark);
  });

  it('heartbeatsOnly: app heartbeats keep flowing while data has stopped', async () => {
    const feed = await start({ messagesPerSecond: 100 });
    const client = await subscribedClient(feed, ['a']);
    await client.waitFor(() => dataOf(client, 'a').length >= 3);
    feed.faults.heartbeatsOnly({ intervalMs: 30 });
    await sleep(30);
    const mark = client.messages.length;
    await sleep(250);
    const after = client.messages.slice(mark);
    expect(after.filter((m) => m.op === 'heartbeat').length).toBeGreaterThanOrEqual(3);
    expect(after.filter((m) => m.topic !== undefined)).toEqual([]);
    expect(after[0]).toEqual({ op: 'heartbeat', ts: expect.any(Number) });
    feed.faults.resume();
    await client.waitFor((m) => m.topic === 'a', mark);
    const quiet = client.messages.length;
    await sleep(120);
    expect(client.messages.slice(quiet).some((m) => m.op === 'heartbeat')).toBe(false);
  });

  it('dropTopic: the topic goes silent for current subscribers until they subscribe again', async () => {
    const feed = await start({ messagesPerSecond: 100 });
    const client = await subscribedClient(feed, ['a', 'b']);
    await client.waitFor(() => dataOf(client, 'a').length >= 2);
    feed.faults.dropTopic('a');
    await sleep(30);
    const mark = client.messages.length;
    await sleep(200);
    expect(dataOf(client, 'a', mark)).toEqual([]);
    expect(dataOf(client, 'b', mark).length).toBeGreaterThan(3);
    expect(feed.subscriptions(1)).toEqual(['a', 'b']);
    const fresh = await subscribedClient(feed, ['a']);
    await fresh.waitFor((m) => m.topic === 'a'); // new subscribers are not affected
    client.send({ op: 'subscribe', topics: ['a'], id: 5 });
    await client.waitFor((m) => m.topic === 'a', mark);
  });

  it('freeze: half-open, no pong and no data, writes still succeed; new connections work; unfreeze delivers the pong', async () => {
    const feed = await start({ messagesPerSecond: 100 });
    const client = await subscribedClient(feed, ['a']);
    await client.waitFor(() => dataOf(client, 'a').length >= 2);
    feed.faults.freeze();
    await sleep(30);
    const mark = client.messages.length;
    client.send({ op: 'ping', id: 1 });
    expect(await pingAnswered(client.ws, 300)).toBe(false);
    expect(client.messages.slice(mark)).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(feed.state().faults.frozenConnections).toEqual([1]);
    const other = connect(feed.url);
    await other.opened;
    expect(await pingAnswered(other.ws, 1000)).toBe(true);
    const pong = new Promise<void>((done) => client.ws.once('pong', () => done()));
    feed.faults.unfreeze();
    await pong; // the ping sent while frozen was only held back
    await client.waitFor((m) => m.op === 'pong' && m.id === 1, mark);
  });

  it('drop: clients see 1006; closeAll: clients see the code and reason', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    const first = connect(feed.url);
    await first.opened;
    const serverSide = new Promise<number>((done) => feed.once('disconnect', (e) => done(e.code)));
    feed.faults.drop();
    expect((await first.closed).code).toBe(1006);
    expect(await serverSide).toBe(1006);
    for (const code of [1001, 1011, 4000]) {
      const client = connect(feed.url);
      await client.opened;
      feed.faults.closeAll(code, `bye ${code}`);
      expect(await client.closed).toEqual({ code, reason: `bye ${code}` });
    }
    expect(() => feed.faults.closeAll(1006)).toThrow('Expected `code` to be a close code from 1000-1003, 1007-1014 or 3000-4999, got 1006.');
  });

  it('gap and duplicate are visible in the sequence', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    const client = await subscribedClient(feed, ['a', 'b']);
    feed.publish('a');
    feed.publish('b');
    feed.faults.gap(3, 'a');
    feed.publish('a');
    feed.publish('b');
    feed.faults.duplicate('a');
    feed.faults.gap(); // every topic
    feed.publish('a');
    feed.publish('b');
    await client.waitFor(() => dataOf(client, 'b').length >= 3);
    await client.waitFor(() => dataOf(client, 'a').length >= 4);
    expect(dataOf(client, 'a').map((m) => m.seq)).toEqual([1, 5, 5, 7]);
    expect(dataOf(client, 'b').map((m) => m.seq)).toEqual([1, 2, 4]);
    // published() is the upstream truth: skipped seqs are absent, the duplicate counted once.
    expect((feed.published('a') as Message[]).map((m) => m.seq)).toEqual([1, 5, 7]);
  });

  it('gap in the Binance depth stream breaks U = previous u + 1 while the book stays the truth', async () => {
    const feed = await start({ dialect: 'binance', messagesPerSecond: 0 });
    const client = connect(`${feed.url}/ws/btcusdt@depth`);
    await client.opened;
    const before = feed.publish('btcusdt@depth') as DepthUpdateEvent;
    feed.faults.gap(2, 'btcusdt@depth@100ms'); // an alias of the same source
    const after = feed.publish('btcusdt@depth') as DepthUpdateEvent;
    expect(after.U).toBeGreaterThan(before.u + 2);
    expect(feed.book('btcusdt').lastUpdateId).toBe(after.u);
    await client.waitFor((m) => m.u === after.u);
    feed.faults.duplicate('btcusdt@depth');
    await client.waitFor(() => client.messages.filter((m) => m.u === after.u).length === 2);
  });

  it('rejectHandshakes: the next upgrades get the status (429 with Retry-After), then connections work', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    feed.faults.rejectHandshakes(429, { count: 2 });
    const first = await handshakeOutcome(feed.url);
    expect(first.status).toBe(429);
    expect(first.response?.headers['retry-after']).toBe('1');
    expect((await handshakeOutcome(feed.url)).status).toBe(429);
    expect((await handshakeOutcome(feed.url)).status).toBe('open');
    for (const status of [401, 403, 500, 503]) {
      feed.faults.rejectHandshakes(status, { headers: { 'X-Reason': 'test' } });
      const outcome = await handshakeOutcome(feed.url);
      expect([outcome.status, outcome.response?.headers['x-reason']]).toEqual([status, 'test']);
    }
    expect(feed.state()).toMatchObject({ handshakeAttempts: 7, handshakesRejected: 6, connectionsAccepted: 1 });
  });

  it('hangHandshakes: the client never opens; close() releases the hung socket', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    feed.faults.hangHandshakes();
    const hung = connect(feed.url);
    const opened = await Promise.race([hung.opened.then(() => true, () => true), sleep(500).then(() => false)]);
    expect(opened).toBe(false);
    expect(feed.state().handshakesHanging).toBe(1);
    const normal = connect(feed.url);
    await normal.opened;
    await feed.close();
    await expect(hung.opened).rejects.toThrow();
    expect(feed.state().handshakesHanging).toBe(0);
  });

  it('flap: new connections are dropped abruptly openMs after opening, count times', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    feed.faults.flap({ openMs: 60, count: 2 });
    for (let i = 0; i < 2; i += 1) {
      const client = connect(feed.url);
      await client.opened;
      const openedAt = Date.now();
      expect((await client.closed).code).toBe(1006);
      expect(Date.now() - openedAt).toBeGreaterThanOrEqual(40);
    }
    const survivor = connect(feed.url);
    await survivor.opened;
    await sleep(150);
    expect(survivor.ws.readyState).toBe(WebSocket.OPEN);
    feed.faults.flap({ openMs: 50 });
    const spared = connect(feed.url);
    await spared.opened;
    feed.faults.flap(false);
    await sleep(120);
    expect(spared.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('stop refuses connections until restart listens again on the same port', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    const { port, url } = feed;
    const client = connect(url);
    await client.opened;
    await feed.faults.stop();
    expect((await client.closed).code).toBe(1006);
    const refused = connect(url);
    await expect(refused.opened).rejects.toThrow(/ECONNREFUSED/);
    expect(feed.state().listening).toBe(false);
    await feed.faults.restart();
    expect(feed.port).toBe(port);
    const again = connect(url);
    await again.opened;
    await feed.faults.stop({ code: 1001 });
    expect((await again.closed).code).toBe(1001);
    await feed.faults.restart();
    await connect(url).opened;
  });

  it('shutdownNotice sends the dialect notice; protocol pings go out on pingIntervalMs', async () => {
    const feed = await start({ dialect: 'binance', messagesPerSecond: 0, pingIntervalMs: 40 });
    const client = connect(`${feed.url}/ws`);
    await client.opened;
    let pings = 0;
    client.ws.on('ping', () => (pings += 1));
    feed.faults.shutdownNotice();
    expect(await client.waitFor((m) => m.e === 'serverShutdown')).toEqual({ e: 'serverShutdown', E: expect.any(Number) });
    await expect.poll(() => pings, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
  });

  it('clear removes every fault at once', async () => {
    const feed = await start({ messagesPerSecond: 100 });
    const client = await subscribedClient(feed, ['a']);
    feed.faults.stall();
    feed.faults.dropTopic('a');
    feed.faults.rejectHandshakes(503, { count: 5 });
    feed.faults.hangHandshakes({ count: 2 });
    feed.faults.flap({ openMs: 10 });
    feed.faults.gap(4, 'a');
    feed.faults.clear();
    expect(feed.state().faults).toEqual({
      stalled: false, heartbeatsOnly: false, frozenConnections: [], pendingGaps: {}, pendingRejections: 0,
      pendingHangs: 0, flap: null, pendingStaleSnapshots: 0,
    });
    const mark = client.messages.length;
    await client.waitFor(() => dataOf(client, 'a', mark).length >= 2);
    expectConsecutive(dataOf(client, 'a').map((m) => m.seq));
    await connect(feed.url).opened;
  });
});

describe('HTTP control surface', () => {
  it('drives faults from another process or a browser page, with CORS', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    const preflight = await fetch(`${feed.httpUrl}/control/stall`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const client = await subscribedClient(feed, ['a']);
    await control(feed, 'publish', { topic: 'a' });
    const stalled = await control(feed, 'stall');
    expect(stalled).toMatchObject({ status: 200, json: { ok: true, action: 'stall', state: { faults: { stalled: true } } } });
    await control(feed, 'publish', { topic: 'a' }); // lost: seq 2
    await control(feed, 'resume');
    await control(feed, 'gap', { count: 3 });
    const published = await control(feed, 'publish', { topic: 'a', data: { n: 1 } });
    expect(published.json.result).toMatchObject({ topic: 'a', seq: 6, data: { n: 1 } });
    await client.waitFor((m) => m.seq === 6);
    expect(dataOf(client, 'a').map((m) => m.seq)).toEqual([1, 6]);
    await control(feed, 'closeAll', { code: 1011, reason: 'crash' });
    expect(await client.closed).toEqual({ code: 1011, reason: 'crash' });
    await control(feed, 'rejectHandshakes', { status: 503, count: 1 });
    expect((await handshakeOutcome(feed.url)).status).toBe(503);
    const state = await (await fetch(`${feed.httpUrl}/control/state`)).json();
    expect(state).toMatchObject({ listening: true, connectionsAccepted: 1, handshakeAttempts: 2, handshakesRejected: 1 });
    expect(state.topics.a).toEqual({ position: 6, subscribers: 0, published: 3 });
  });

  it('answers unknown actions with 404 and bad arguments with 400, naming the field', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    const unknown = await control(feed, 'explode');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toContain('stall');
    const bad = await control(feed, 'rejectHandshakes', { status: 99 });
    expect(bad).toEqual({ status: 400, json: { ok: false, action: 'rejectHandshakes', error: 'Expected `status` to be an HTTP status from 300 to 599, got 99.' } });
    expect((await control(feed, 'stop', {})).json.error).toContain('restartAfterMs');
    expect(await control(feed, 'stop', { restartAfterMs: 10, code: 1006 })).toMatchObject({ status: 400, json: { error: expect.stringContaining('`code`') } });
    expect(feed.state().listening).toBe(true);
    const notJson = await fetch(`${feed.httpUrl}/control/gap`, { method: 'POST', body: '{oops' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${feed.httpUrl}/elsewhere`)).status).toBe(404);
  });

  it('flap and timed stop work over HTTP', async () => {
    const feed = await start({ messagesPerSecond: 0 });
    await control(feed, 'flap', { openMs: 30, count: 1 });
    const flapped = connect(feed.url);
    expect((await flapped.closed).code).toBe(1006);
    await control(feed, 'flap', { openMs: 30 });
    expect((await control(feed, 'flap', false)).json.state.faults.flap).toBeNull();
    const client = connect(feed.url);
    await client.opened;
    const stopped = await control(feed, 'stop', { restartAfterMs: 100 });
    expect(stopped.status).toBe(200);
    expect((await client.closed).code).toBe(1006);
    await expect.poll(() => feed.state().listening, { timeout: 3000 }).toBe(true);
    await connect(feed.url).opened;
  });
});

describe('options and lifecycle', () => {
  it('validates options, naming the field and the value', async () => {
    await expect(createFeedServer({ messagesPerSecond: -1 })).rejects.toThrow('Expected `messagesPerSecond` to be a finite number >= 0, got -1.');
    await expect(createFeedServer({ dialect: 'bitfinex' as never })).rejects.toThrow(/^Expected `dialect` to be one of 'json', 'binance', .*'kraken'.*, got "bitfinex"\.$/);
    await expect(createFeedServer({ pingIntervalMs: 0 })).rejects.toThrow('`pingIntervalMs`');
    await expect(createFeedServer({ dialect: 'binance', topics: ['BTC-USD'] })).rejects.toThrow(/Expected a stream like/);
  });

  it('requireSubscribe: false sends every configured topic to every connection', async () => {
    const feed = await start({ requireSubscribe: false, topics: ['a', 'b'], messagesPerSecond: 0 });
    const client = connect(feed.url);
    await client.opened;
    feed.publish('a');
    feed.publish('b');
    await client.waitFor(() => dataOf(client, 'a').length === 1 && dataOf(client, 'b').length === 1);
  });

  it('close() releases everything: a script that creates, uses and closes a server exits on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feed-server-exit-'));
    try {
      const bundle = join(dir, 'testing.cjs');
      await build({
        entryPoints: [resolve('src/testing/index.ts')], bundle: true, platform: 'node', format: 'cjs',
        external: ['ws'], outfile: bundle, logLevel: 'silent',
      });
      const script = join(dir, 'script.cjs');
      writeFileSync(script, exitScript(bundle));
      const started = Date.now();
      const output = await runNode(script, 15_000);
      expect(output).toContain('closed');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents every option and every control action in docs/testing.md', () => {
    const reference = readFileSync(resolve('docs/testing.md'), 'utf8');
    for (const option of Object.keys(FEED_SERVER_DEFAULTS)) expect(reference).toContain(`| \`${option}\``);
    for (const action of Object.keys(CONTROL_ACTIONS)) expect(reference).toContain(`/control/${action}`);
  });
});

/** A child script that exercises every timer and socket the server owns, then closes it. */
function exitScript(bundle: string): string {
  return `
const { createFeedServer } = require(${JSON.stringify(bundle)});
const WebSocket = require('ws');
(async () => {
  const feed = await createFeedServer({
    dialect: 'binance', messagesPerSecond: 200, heartbeatIntervalMs: 20, pingIntervalMs: 20, snapshotDelayMs: 60_000,
  });
  const opened = (ws) => new Promise((done) => ws.once('open', done));
  const quiet = (ws) => { ws.on('error', () => {}); return ws; };
  const a = quiet(new WebSocket(feed.url + '/ws/btcusdt@depth'));
  const b = quiet(new WebSocket(feed.url + '/stream?streams=btcusdt@trade'));
  await Promise.all([opened(a), opened(b)]);
  feed.faults.freeze(1);
  feed.faults.flap({ openMs: 60_000 });
  quiet(new WebSocket(feed.url + '/ws'));
  await feed.waitForConnections(3);
  feed.faults.hangHandshakes();
  quiet(new WebSocket(feed.url + '/ws'));
  fetch(feed.httpUrl + '/api/v3/depth?symbol=BTCUSDT').catch(() => {});
  feed.waitForMessage(() => false, 60_000).catch(() => {});
  await new Promise((done) => setTimeout(done, 200));
  await feed.faults.stop({ restartAfterMs: 60_000 });
  await feed.faults.restart();
  await feed.close();
  console.log('closed');
})();
`;
}

function runNode(script: string, timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    const env = { ...process.env, NODE_PATH: resolve('node_modules') };
    execFile(process.execPath, [script], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) fail(new Error(`Expected the script to exit by itself within ${timeoutMs} ms, got ${error.message}\n${stderr}`));
      else done(stdout);
    });
  });
}
