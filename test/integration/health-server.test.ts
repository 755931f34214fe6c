import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResilientStream, type StreamHealth } from '../../src/index.js';
import { healthReport, reportStream, serveHealth, toPrometheus, type HealthReport, type HealthServer } from '../../src/node/index.js';
import { createFeedServer, type FeedServer } from '../../src/testing/index.js';
import { sleep, waitForEvent, waitForState } from '../helpers/events.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openFeed(): Promise<FeedServer> {
  const feed = await createFeedServer({ dialect: 'json', messagesPerSecond: 50 });
  cleanups.push(() => feed.close());
  return feed;
}

function openStream(feed: FeedServer, topics = ['a', 'b']) {
  const stream = new ResilientStream<{ topic?: string }, unknown>({
    url: feed.url,
    topics,
    subscribe: ({ topics: list }) => ({ op: 'subscribe', topics: list }),
    topicOf: (message) => message.topic,
    isData: (message) => message.topic !== undefined,
    staleAfterMs: false,
    heartbeat: false,
  });
  stream.on('error', () => {});
  cleanups.push(() => stream.close());
  return stream;
}

async function serve(...args: Parameters<typeof serveHealth>): Promise<HealthServer> {
  const server = await serveHealth(...args);
  cleanups.push(() => server.close());
  return server;
}

async function getHealth(server: HealthServer): Promise<{ status: number; body: HealthReport }> {
  const response = await fetch(`${server.url}/health`);
  expect(response.headers.get('content-type')).toBe('application/json');
  return { status: response.status, body: (await response.json()) as HealthReport };
}

/** The status line the server answers a raw request target with (fetch() would normalise the target). */
function rawStatusLine(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received.split('\r\n')[0]!));
    socket.on('error', reject);
  });
}

interface Metric {
  type?: string;
  help?: string;
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

/** A strict reader of the text exposition format: HELP and TYPE precede each family's samples. */
function parsePrometheus(text: string): Map<string, Metric> {
  expect(text.endsWith('\n')).toBe(true);
  const families = new Map<string, Metric>();
  const family = (name: string): Metric => families.get(name) ?? families.set(name, { samples: [] }).get(name)!;
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      const metric = family(comment[2]!);
      expect(metric.samples, `${comment[1]} after samples of ${comment[2]}`).toEqual([]);
      if (comment[1] === 'HELP') metric.help = comment[3]!;
      else metric.type = comment[3]!;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(sample, `malformed line: ${line}`).not.toBeNull();
    const metric = families.get(sample![1]!);
    expect(metric?.type, `sample before TYPE: ${line}`).toMatch(/^(gauge|counter)$/);
    const labels: Record<string, string> = {};
    const body = sample![2] ?? '';
    const pairs = [...body.matchAll(/(\w+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/g)];
    expect(pairs.map((pair) => pair[0]).join(''), `labels of ${line}`).toBe(body);
    for (const [, key, raw] of pairs) labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    metric!.samples.push({ labels, value: Number(sample![3]) });
  }
  return families;
}

function valueOf(metrics: Map<string, Metric>, name: string, labels: Record<string, string>): number | undefined {
  return metrics.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('serveHealth', () => {
  it('answers /health with 200 and per-stream JSON while the streams are open and fresh', async () => {
    const feed = await openFeed();
    const main = openStream(feed).start();
    const spare = openStream(feed, ['c']).start();
    await waitForEvent(main, 'message', (m) => (m as { topic?: string }).topic === 'b');
    await waitForEvent(spare, 'message', (m) => (m as { topic?: string }).topic === 'c');
    const server = await serve({ main, spare }, { staleAfterSeconds: 5 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const { status, body } = await getHealth(server);
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(Object.keys(body.streams)).toEqual(['main', 'spare']);
    const report = body.streams.main!;
    expect(report).toMatchObject({ ok: true, state: 'open', connected: true, stale: false, stale_after_seconds: 5, storm: false, reconnects: 0 });
    expect(report.last_message_age_seconds).toBeGreaterThanOrEqual(0);
    expect(report.last_message_age_seconds).toBeLessThan(1);
    expect(report.messages_received).toBeGreaterThan(0);
    expect(report.topics.a!.last_message_age_seconds).toBeLessThan(1);
    expect(report.topics.b).toMatchObject({ stale: false });
  });

  it('answers 503 once a stream goes silent past staleAfterSeconds, and again once it is closed', async () => {
    const feed = await openFeed();
    const stream = openStream(feed).start();
    await waitForEvent(stream, 'message', (m) => (m as { topic?: string }).topic !== undefined);
    const server = await serve(stream, { staleAfterSeconds: 0.2 });
    expect((await getHealth(server)).status).toBe(200);
    feed.faults.stall();
    // Ages are exact to the stream's liveness sampling (1 s with every deadline off, docs/health.md):
    // a message read just before the stall can count as fresh until the next sample.
    let silent = await getHealth(server);
    for (const deadline = Date.now() + 2_500; silent.status !== 503 && Date.now() < deadline; silent = await getHealth(server)) await sleep(100);
    expect(silent.status).toBe(503);
    expect(silent.body.streams.default).toMatchObject({ ok: false, stale: true, state: 'open' });
    expect(silent.body.streams.default!.last_message_age_seconds).toBeGreaterThan(0.2);
    feed.faults.resume();
    await waitForEvent(stream, 'message', (m) => (m as { topic?: string }).topic !== undefined);
    expect((await getHealth(server)).status).toBe(200);
    await stream.close();
    const closed = await getHealth(server);
    expect(closed.status).toBe(503);
    expect(closed.body.streams.default).toMatchObject({ ok: false, state: 'closed', connected: false });
  });

  it('reports null ages before the first message and uses the stream threshold when none is given', async () => {
    const feed = await openFeed();
    const idle = openStream(feed);
    const server = await serve({ idle });
    const { status, body } = await getHealth(server);
    expect(status).toBe(503);
    expect(body.streams.idle).toMatchObject({ state: 'idle', last_message_age_seconds: null, connected_for_seconds: null, stale_after_seconds: null });
    expect(body.streams.idle!.topics.a).toEqual({ last_message_age_seconds: null, stale: false });
    const metrics = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text());
    expect(metrics.get('resilient_stream_last_message_age_seconds')!.samples).toEqual([]);
    expect(valueOf(metrics, 'resilient_stream_state', { stream: 'idle', state: 'idle' })).toBe(1);
  });

  it('serves /metrics in the Prometheus text format with escaped stream labels', async () => {
    const feed = await openFeed();
    const stream = openStream(feed).start();
    await waitForEvent(stream, 'message', (m) => (m as { topic?: string }).topic === 'a');
    const name = 'binance "spot"\\eu\nwest';
    const server = await serve({ [name]: stream });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('stream="binance \\"spot\\"\\\\eu\\nwest"');
    const metrics = parsePrometheus(text);
    for (const [metricName, metric] of metrics) {
      expect(metric.help, metricName).toBeTruthy();
      expect(metric.type === 'counter', metricName).toBe(metricName.endsWith('_total'));
    }
    const labels = { stream: name };
    expect(valueOf(metrics, 'resilient_stream_up', labels)).toBe(1);
    expect(valueOf(metrics, 'resilient_stream_connected', labels)).toBe(1);
    expect(valueOf(metrics, 'resilient_stream_state', { ...labels, state: 'open' })).toBe(1);
    expect(valueOf(metrics, 'resilient_stream_state', { ...labels, state: 'failed' })).toBe(0);
    expect(valueOf(metrics, 'resilient_stream_storm', labels)).toBe(0);
    expect(valueOf(metrics, 'resilient_stream_messages_received_total', labels)).toBeGreaterThan(0);
    expect(valueOf(metrics, 'resilient_stream_last_message_age_seconds', labels)).toBeLessThan(1);
    for (const counter of ['reconnects', 'gaps', 'duplicates', 'resyncs']) {
      expect(valueOf(metrics, `resilient_stream_${counter}_total`, labels), counter).toBe(0);
    }
    expect(valueOf(metrics, 'resilient_stream_topic_last_message_age_seconds', { ...labels, topic: 'a' })).toBeLessThan(1);
    expect(valueOf(metrics, 'resilient_stream_topic_stale', { ...labels, topic: 'b' })).toBe(0);
    feed.faults.drop();
    await waitForState(stream, 'reconnecting');
    const after = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text());
    expect(valueOf(after, 'resilient_stream_reconnects_total', labels)).toBe(1);
    expect(valueOf(after, 'resilient_stream_connected', labels)).toBe(0);
    expect(valueOf(after, 'resilient_stream_up', labels)).toBe(0);
  });

  it('answers 404 elsewhere, 405 to other methods, HEAD without a body, and stops on close()', async () => {
    const feed = await openFeed();
    const server = await serve(openStream(feed));
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const post = await fetch(`${server.url}/health`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${server.url}/health?verbose=1`)).status).toBe(503); // idle stream
    await server.close();
    await server.close();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('answers 400 to a request target the URL parser refuses, and 500 when health() throws anything or gives no snapshot', async () => {
    const feed = await openFeed();
    const server = await serve({ live: openStream(feed) });
    // `GET //` and `GET //[` used to throw out of the request listener: an uncaught exception in the host.
    for (const target of ['//', '//[', 'http://[']) expect(await rawStatusLine(server.port, target)).toBe('HTTP/1.1 400 Bad Request');
    expect((await fetch(`${server.url}/health`)).status).toBe(503); // still serving
    const throwsBare = { health: () => { throw Object.create(null) as Error; } };
    const givesNull = { health: () => null as unknown as StreamHealth };
    const givesBigInt = { health: () => ({ ...openStream(feed).health(), messagesReceived: 1n as unknown as number }) };
    for (const source of [throwsBare, givesNull, givesBigInt]) {
      const broken = await serve({ broken: source });
      const response = await fetch(`${broken.url}/health`);
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: string }).error).toMatch(/^Expected health\(\) to give a health snapshot, but reading it threw: /);
    }
    expect((await fetch(`${(await serve({ broken: givesNull })).url}/metrics`)).status).toBe(500);
  });

  it('rejects bad arguments with messages naming them', async () => {
    await expect(serveHealth({})).rejects.toThrow('Expected `streams` to be a stream, or an object of streams by non-empty name (at least one), got an object.');
    await expect(serveHealth({ x: {} as never })).rejects.toThrow(TypeError);
    const fake = { health: () => ({}) as StreamHealth };
    await expect(serveHealth(fake, { staleAfterSeconds: 0 })).rejects.toThrow('Expected `staleAfterSeconds` to be a finite number > 0, got 0.');
    await expect(serveHealth(fake, { port: 70_000 })).rejects.toThrow('Expected `port` to be an integer from 0 to 65535, got 70000.');
  });

  it('refuses a misspelt option (it would be ignored: the probe would never go stale), a null options object and wrong types', async () => {
    const fake = { health: () => ({}) as StreamHealth };
    const refuse = (options: unknown): Promise<HealthServer> => serveHealth(fake, options as never);
    await expect(refuse({ staleAfterSecond: 30 })).rejects.toThrow(new TypeError('Unknown option `staleAfterSecond`; did you mean `staleAfterSeconds`? Expected one of `port`, `host`, `staleAfterSeconds`.'));
    await expect(refuse({ tls: true })).rejects.toThrow(new TypeError('Unknown option `tls`. Expected one of `port`, `host`, `staleAfterSeconds`.'));
    await expect(refuse(null)).rejects.toThrow(new TypeError('Expected `options` to be an object, got null.'));
    await expect(refuse({ port: '80' })).rejects.toThrow(new TypeError('Expected `port` to be an integer from 0 to 65535, got "80".'));
    await expect(refuse({ host: 5 })).rejects.toThrow(new TypeError('Expected `host` to be a non-empty string, got 5.'));
    await expect(refuse({ staleAfterSeconds: '30' })).rejects.toThrow(new TypeError('Expected `staleAfterSeconds` to be a finite number > 0, got "30".'));
  });
});

describe('toPrometheus (pure)', () => {
  const health: StreamHealth = {
    state: 'open', connected: true, lastMessageAt: 10_000, lastMessageAgeMs: 1_500, connectedSince: 2_000, attempt: 0,
    reconnects: 3, messagesReceived: 42, messagesSent: 2, queued: 0, dropped: 1, duplicates: 4, gaps: 2, resyncs: 5,
    missing: 0, storm: true, staleThresholdMs: 30_000, paused: false, rotations: 0, connectionAgeMs: 8_000, topics: { 'BTC-USD': { lastMessageAt: 9_000, stale: false, resyncing: false }, quiet: { lastMessageAt: null, stale: true, resyncing: false } },
  };

  it('renders every family with HELP and TYPE, and ages from the snapshot\'s own clock', () => {
    const text = toPrometheus({ s: health });
    const metrics = parsePrometheus(text);
    expect(valueOf(metrics, 'resilient_stream_last_message_age_seconds', { stream: 's' })).toBe(1.5);
    // now = lastMessageAt + lastMessageAgeMs = 11_500, so BTC-USD is 2.5 s old whatever the wall clock says.
    expect(valueOf(metrics, 'resilient_stream_topic_last_message_age_seconds', { stream: 's', topic: 'BTC-USD' })).toBe(2.5);
    expect(metrics.get('resilient_stream_topic_last_message_age_seconds')!.samples).toHaveLength(1);
    expect(valueOf(metrics, 'resilient_stream_topic_stale', { stream: 's', topic: 'quiet' })).toBe(1);
    expect(valueOf(metrics, 'resilient_stream_up', { stream: 's' })).toBe(0); // a stale topic
    expect(valueOf(metrics, 'resilient_stream_stale_threshold_seconds', { stream: 's' })).toBe(30);
    expect(valueOf(metrics, 'resilient_stream_storm', { stream: 's' })).toBe(1);
    expect(text).toContain('# TYPE resilient_stream_reconnects_total counter\nresilient_stream_reconnects_total{stream="s"} 3\n');
  });

  it('judges up with staleAfterSeconds like /health does', () => {
    const fresh = { ...health, topics: {} };
    expect(toPrometheus({ s: fresh }, { staleAfterSeconds: 1 })).toContain('resilient_stream_up{stream="s"} 0');
    expect(toPrometheus({ s: fresh }, { staleAfterSeconds: 2 })).toContain('resilient_stream_up{stream="s"} 1');
  });
});

describe('reportStream (pure)', () => {
  const silent: StreamHealth = {
    state: 'open', connected: true, lastMessageAt: 10_000, lastMessageAgeMs: 60_000, connectedSince: 2_000, attempt: 0,
    reconnects: 0, messagesReceived: 5, messagesSent: 1, queued: 0, dropped: 0, duplicates: 0, gaps: 0, resyncs: 0,
    missing: 0, storm: false, staleThresholdMs: 30_000, paused: false, rotations: 0, connectionAgeMs: 68_000, topics: {},
  };

  it('a silent stream is stale and not ok; the same stream paused is neither stale nor failing the probe', () => {
    expect(reportStream(silent)).toMatchObject({ ok: false, stale: true, paused: false });
    expect(reportStream({ ...silent, paused: true })).toMatchObject({ ok: true, stale: false, paused: true });
  });

  it('a topic or a stream named __proto__ is reported under its own name (assigning it into a plain object would set the prototype)', () => {
    const topics = Object.fromEntries([['__proto__', { lastMessageAt: 9_000, stale: true, resyncing: false }]]) as StreamHealth['topics'];
    const report = reportStream({ ...silent, topics });
    expect(Object.keys(report.topics)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(report)).topics.__proto__).toEqual({ last_message_age_seconds: 61, stale: true });
    const streams = healthReport(Object.fromEntries([['__proto__', silent]]));
    expect(Object.keys(streams.streams)).toEqual(['__proto__']);
    expect(JSON.stringify(streams)).toContain('"__proto__":{"ok":false');
  });
});

