import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientStream } from '../../src/index.js';
import { serveHealth } from '../../src/node/index.js';
import { formatStatus, StatusLine } from '../../src/cli/status-line.js';
import { sleep, waitForState } from '../helpers/events.js';
import { jsonOptions, openFeed, track, useCleanup } from '../helpers/fixtures.js';
import { freePort } from '../helpers/redis.js';
import { bundle } from '../node/bundle.js';

useCleanup();
let cli: string;
let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  cli = await bundle(join(import.meta.dirname, '..', '..', 'src', 'cli', 'index.ts'), 'cli');
  dir = mkdtempSync(join(tmpdir(), 'rs-cli-'));
});
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** Starts the CLI as a child process; `exited` resolves with its exit code. */
function start(...args: string[]): Run {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    })),
  };
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

async function until(condition: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const lines = (text: string): Array<Record<string, unknown>> => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
const SUBSCRIBE_A = JSON.stringify({ op: 'subscribe', topics: ['a'] });

describe('resilient-stream (the CLI, as a child process against the fault server)', () => {
  it('tail --json prints messages and events as NDJSON, sees a stall as a stale event, and exits 0 on SIGINT', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const run = start('tail', feed.url, '--json', '--subscribe', SUBSCRIBE_A, '--stale', '400ms');
    await until(() => lines(run.stdout).filter((line) => line.type === 'message' && (line.data as { topic?: string }).topic === 'a').length >= 5, 'five messages');
    feed.faults.stall();
    await until(() => run.stdout.includes('"type":"stale"'), 'a stale event');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const output = lines(run.stdout);
    expect(output.find((line) => line.type === 'open')).toMatchObject({ attempt: 0, isReconnect: false });
    expect(output.find((line) => line.type === 'stale')).toMatchObject({ kind: 'data', thresholdMs: 400 });
    expect(output.find((line) => line.type === 'error')).toMatchObject({ code: 'RS_STALE' });
    expect(output.every((line) => typeof line.at === 'number')).toBe(true);
    expect(output.at(-1)).toMatchObject({ type: 'state', to: 'closed' });
  });

  it('tail without --json prints the messages as JSON lines on stdout and the events as # lines on stderr', async () => {
    const feed = await openFeed({ messagesPerSecond: 50 });
    const run = start('tail', feed.url, '--subscribe', SUBSCRIBE_A, '--count', '3');
    expect(await run.exited).toBe(0);
    const printed = lines(run.stdout);
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatchObject({ op: 'subscribed', topics: ['a'] });
    expect(printed.slice(1).map((m) => m.seq)).toEqual([1, 2]);
    expect(run.stderr).toMatch(/^# open \{"attempt":0,"isReconnect":false,"url":"ws:\/\/127\.0\.0\.1:\d+\/"\}$/m);
    expect(run.stderr).not.toContain('\x1b'); // no status line when stderr is not a terminal
  });

  it('tail --venue binance --topics BTCUSDT uses the preset (subscribe, data rules) against the binance dialect', async () => {
    const feed = await openFeed({ dialect: 'binance', messagesPerSecond: 50 });
    const run = start('tail', `${feed.url}/ws`, '--venue', 'binance', '--topics', 'BTCUSDT', '--json', '--count', '4');
    expect(await run.exited).toBe(0);
    const messages = lines(run.stdout).filter((line) => line.type === 'message').map((line) => line.data as Record<string, unknown>);
    expect(messages[0]).toEqual({ result: null, id: expect.any(Number) });
    expect(messages.slice(1).map((m) => [m.e, m.s])).toEqual([['trade', 'BTCUSDT'], ['trade', 'BTCUSDT'], ['trade', 'BTCUSDT']]);
    expect(feed.received.map((entry) => entry.data)).toContainEqual(expect.objectContaining({ method: 'SUBSCRIBE', params: ['btcusdt@trade'] }));
    const both = start('tail', feed.url, '--venue', 'binance', '--topics', 'BTCUSDT', '--subscribe', '{}');
    expect(await both.exited).toBe(2);
  });

  it('record writes every frame with its receive time and a redacted URL; serve --replay plays the same frames back, faults still work', async () => {
    const feed = await openFeed({ messagesPerSecond: 100 });
    const file = join(dir, 'session.ndjson');
    const url = `${feed.url.replace('ws://', 'ws://alice:hunter2@')}/feed?token=s3cret`;
    const recording = start('record', url, '-o', file, '--subscribe', SUBSCRIBE_A, '--count', '30');
    expect(await recording.exited).toBe(0);
    expect(recording.stderr).toContain(`recorded 30 frame(s) to ${file}`);
    const [header, ...entries] = lines(readFileSync(file, 'utf8'));
    expect(header).toMatchObject({ type: 'session', version: 1, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/feed\?token=\*\*\*$/) });
    expect(readFileSync(file, 'utf8')).not.toMatch(/hunter2|s3cret|alice/);
    expect(entries).toHaveLength(30);
    const recorded = entries.map((entry) => entry.text as string);
    expect(JSON.parse(recorded[0]!)).toMatchObject({ op: 'subscribed', topics: ['a'] });
    expect(recorded.slice(1).map((text) => (JSON.parse(text) as { seq: number }).seq)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    const times = entries.map((entry) => entry.at as number);
    expect(times.every((at, i) => i === 0 || at >= times[i - 1]!)).toBe(true);

    const port = await freePort();
    const server = start('serve', '--replay', file, '--speed', '10', '--port', String(port));
    await until(() => server.stdout.includes('control'), 'the replay server to listen');
    expect(server.stdout).toContain(`feed ws://127.0.0.1:${port} (replaying 30 frame(s) at 10x)`);
    const received: string[] = [];
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.on('message', (data) => received.push(data.toString()));
    await until(() => received.length === 30, 'the replayed frames');
    expect(received).toEqual(recorded);
    // The replay took about a tenth of the recorded span.
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const answer = await fetch(`http://127.0.0.1:${port}/control/drop`, { method: 'POST' });
    expect(answer.status).toBe(200);
    expect(await closed).toBe(1006);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('health exits 0 when healthy, 1 when unhealthy, 3 when unreachable or not a health endpoint', async () => {
    const feed = await openFeed({ messagesPerSecond: 20 });
    const up = jsonStream(feed);
    up.start();
    await waitForState(up, 'open');
    const idle = track(new ResilientStream(jsonOptions(feed)));
    const healthy = await serveHealth(up);
    const unhealthy = await serveHealth({ up, idle });
    try {
      const ok = start('health', healthy.url);
      expect(await ok.exited).toBe(0);
      expect(ok.stdout).toBe('ok: default open\n');
      const bad = start('health', `${unhealthy.url}/health`, '--json');
      expect(await bad.exited).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, streams: { up: { ok: true }, idle: { ok: false, state: 'idle' } } });
      const port = await freePort();
      const refused = start('health', `http://127.0.0.1:${port}`, '--timeout', '2s');
      expect(await refused.exited).toBe(3);
      expect(refused.stdout).toMatch(/^unreachable: http:\/\/127\.0\.0\.1:\d+\/health: /);
      const notHealth = start('health', `${feed.httpUrl}/control/state`);
      expect(await notHealth.exited).toBe(3);
    } finally {
      await healthy.close();
      await unhealthy.close();
    }
  });

  it('--help works for every command and lists the exit codes; bad usage exits 2', async () => {
    const commands = [[], ['tail'], ['record'], ['serve'], ['health']];
    const runs = commands.map((command) => start(...command, '--help'));
    for (const [i, run] of runs.entries()) {
      expect(await run.exited, commands[i]!.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: resilient-stream');
      expect(run.stdout).toContain('4  the stream gave up');
    }
    const bogus = start('tail', 'ws://127.0.0.1:1', '--bogus');
    expect(await bogus.exited).toBe(2);
    expect(bogus.stderr).toContain("unknown option '--bogus'");
    const badDuration = start('tail', 'ws://127.0.0.1:1', '--stale', 'soon');
    expect(await badDuration.exited).toBe(2);
    expect(badDuration.stderr).toContain('Expected a duration such as 500ms, 10s, 2m or 1h, got "soon".');
    // Longer than a timer holds: Node fired it at once, so the tail stopped at once with exit 0.
    const tooLong = start('tail', 'ws://127.0.0.1:1', '--duration', '600h');
    expect(await tooLong.exited).toBe(2);
    expect(tooLong.stderr).toContain('Expected a duration up to 596h (2147483647 ms), got "600h".');
    const notUrl = start('health', 'not-a-url');
    expect(await notUrl.exited).toBe(2);
    expect(notUrl.stderr).toContain('Expected an http: or https: URL, got "not-a-url".');
    const ftp = start('health', 'ftp://127.0.0.1/');
    expect(await ftp.exited).toBe(2);
    expect(ftp.stderr).toContain('Expected an http: or https: URL, got a ftp: URL.');
    const missing = start('serve', '--replay', join(dir, 'missing.ndjson'), '--port', '0');
    expect(await missing.exited).toBe(2);
  });
});

describe('the status line', () => {
  it('shows state, messages/s, last-message age, reconnects and gaps, redrawn in place', () => {
    const writes: string[] = [];
    const line = new StatusLine({ write: (text: string) => writes.push(text) });
    const health = { state: 'open', lastMessageAgeMs: 1_234, reconnects: 2, gaps: 1, storm: false } as Parameters<typeof formatStatus>[0]['health'];
    line.draw(formatStatus({ health, messagesPerSecond: 49.6 }));
    line.clear();
    line.redraw();
    line.stop();
    expect(writes).toEqual([
      '\r\x1b[2Kopen | 50 msg/s | last 1.2s ago | reconnects 2 | gaps 1',
      '\r\x1b[2K',
      '\r\x1b[2Kopen | 50 msg/s | last 1.2s ago | reconnects 2 | gaps 1',
      '\r\x1b[2K',
    ]);
    expect(formatStatus({ health: { ...health, state: 'reconnecting', storm: true, paused: true, lastMessageAgeMs: null }, messagesPerSecond: 0 }))
      .toBe('reconnecting STORM paused | 0 msg/s | last - ago | reconnects 2 | gaps 1');
  });
});

function jsonStream(feed: Awaited<ReturnType<typeof openFeed>>) {
  return track(new ResilientStream(jsonOptions(feed, { topics: ['a'] })));
}
