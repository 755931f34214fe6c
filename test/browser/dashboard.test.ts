import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, launchChromium, ROOT, SKIP_BROWSER } from './harness.js';

// The dashboard example end to end: its own server process (feed server + static page), the page
// in Chromium, faults injected by clicking its buttons, state read back from the DOM.

const SERVER = join(ROOT, 'examples/browser-dashboard/server.mjs');
const SCREENSHOT = join(ROOT, 'test-artifacts/dashboard.png');

/** Starts the dashboard server on a free port and resolves with its URL once it prints it. */
function startServer(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Expected the dashboard server to print its URL within 10 s; it printed: ${output}`)), 10_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Dashboard: (http:\/\/\S+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ child, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => fail(new Error(`Expected the dashboard server to keep running, it exited with ${code}: ${output}`)));
  });
}

function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

describe.skipIf(SKIP_BROWSER)('browser dashboard example', () => {
  let browser: Browser;
  let server: { child: ChildProcess; url: string } | undefined;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    await ensureBuilt();
    server = await startServer();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await page.goto(server.url);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stopServer(server?.child);
  });

  const text = (selector: string): Promise<string> => page.locator(selector).innerText();
  const waitFor = (selector: string, timeoutMs = 10_000): Promise<unknown> => page.waitForSelector(selector, { timeout: timeoutMs, state: 'attached' });
  /** Counters are drawn on the page's next frame, after the log line of the same event: wait for the frame. */
  const counterReaches = (id: string, value: string): Promise<unknown> =>
    page.waitForFunction(([i, v]) => document.getElementById(i!)?.textContent === v, [id, value], { timeout: 5_000 });

  it('--smoke starts, serves the page and exits 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [SERVER, '--smoke', '--port', '0'], { cwd: ROOT, timeout: 15_000 });
    expect(stdout).toMatch(/smoke: ok/);
  });

  it('shows the stream open and data flowing', async () => {
    await waitFor('#state-pill[data-state="open"]');
    expect(await text('#state-label')).toMatch(/open/i);
    await page.waitForFunction(() => Number(document.getElementById('received-count')?.textContent?.replace(/\D/g, '')) > 20);
    await waitFor('.seg[data-state="open"]');
    expect(await text('#log')).toMatch(/connected/);
  });

  it('renders a drop (1006) and the recovery after clicking Drop', async () => {
    await waitFor('#state-pill[data-state="open"]');
    await page.click('[data-fault="drop"]');
    await waitFor('.log-close');
    expect(await text('.log-close')).toMatch(/closed 1006/);
    await waitFor('.seg[data-state="reconnecting"]');
    await waitFor('.log-open >> text=reconnected');
    await waitFor('#state-pill[data-state="open"]');
    expect(Number(await text('#reconnect-count'))).toBeGreaterThanOrEqual(1);
  });

  it('raises the storm alert when handshakes keep being refused (Reject ×6)', async () => {
    await waitFor('#state-pill[data-state="open"]');
    await page.click('[data-fault="reject"]');
    await waitFor('#storm-chip[data-active="true"]', 15_000);
    expect(await text('.log-storm')).toMatch(/reconnect storm/);
    await counterReaches('storm-count', '1');
    expect(Number(await text('#storm-count'))).toBe(1);
    await page.click('[data-fault="clear"]');
    await waitFor('#state-pill[data-state="open"]', 15_000);
  });

  it('renders a stall as data staleness, then the recovery after Resume', async () => {
    await waitFor('#state-pill[data-state="open"]');
    await page.click('[data-fault="stall"]');
    // The age bar fills towards the 4 s threshold before the verdict.
    await waitFor('#age-bar[data-level="bad"]');
    await waitFor('.log-stale');
    expect(await text('.log-stale')).toMatch(/stale data/);
    await counterReaches('stale-count', '1');
    expect(await text('#stale-count')).toBe('1');
    await waitFor('.marker[data-marker="stale"]');
    await page.click('[data-fault="resume"]');
    await waitFor('#age-bar[data-level="ok"]');
    await waitFor('#state-pill[data-state="open"]');

    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });
});
