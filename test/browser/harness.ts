import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Flags for a quiet, reproducible headless Chromium: no GPU, no background traffic, no first-run UI. */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]);

/** True when the `CI` environment variable is set to anything but `false` or `0`. */
export const IS_CI = ['', 'false', '0', undefined].includes(process.env.CI) === false;

/**
 * The Chromium executable: `$CHROMIUM_PATH` when set, else the first `chromium` or
 * `chromium-browser` on PATH; undefined when there is none. Never downloads a browser.
 */
export function findChromium(): string | undefined {
  const override = process.env.CHROMIUM_PATH;
  if (override !== undefined && override !== '') return override;
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir === '') continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here; keep looking.
      }
    }
  }
  return undefined;
}

/** The executable found at load time. */
export const CHROMIUM = findChromium();

/**
 * Whether the browser suite must be skipped: only when Chromium is missing AND this is not CI.
 * On CI a missing Chromium fails the suite (see {@link launchChromium}) instead of hiding it.
 */
export const SKIP_BROWSER = CHROMIUM === undefined && !IS_CI;

if (SKIP_BROWSER) {
  console.warn('[test/browser] SKIPPED: no `chromium` or `chromium-browser` on PATH (and CHROMIUM_PATH is not set). '
    + 'Install it (Debian: `apt-get install chromium`) to run the real-browser tests; with CI=true a missing Chromium fails instead.');
}

/** Launches headless Chromium with a fresh temporary profile; throws a clear error when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM === undefined) {
    throw new Error('Expected Chromium on PATH (`chromium` or `chromium-browser`, or CHROMIUM_PATH), found none. '
      + 'CI is set, so the browser suite must run, not skip: install it with `apt-get install -y chromium`.');
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
}

// ── build: see test/helpers/build.ts ────────────────────────────────────────────────────────────

export { ensureBuilt } from '../helpers/build.js';

// ── static files ────────────────────────────────────────────────────────────────────────────────

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** A static file server on 127.0.0.1, port 0. */
export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A dynamic route of {@link serveStatic}. */
export type Route = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves `mounts` (URL prefix → directory) read-only; `/` is `index`; `routes` (exact paths)
 * answer first. Only files under a mounted directory are reachable.
 */
export async function serveStatic(mounts: Record<string, string>, index: string, routes: Record<string, Route> = {}): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route !== undefined) {
      route(req, res);
      return;
    }
    const file = path === '/' ? index : resolveMounted(mounts, path);
    if (file === undefined || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`No file for ${path}`);
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

function resolveMounted(mounts: Record<string, string>, path: string): string | undefined {
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!path.startsWith(prefix)) continue;
    const root = resolve(dir);
    const file = normalize(join(root, path.slice(prefix.length)));
    if (file.startsWith(root + sep)) return file;
  }
  return undefined;
}

// ── page side ───────────────────────────────────────────────────────────────────────────────────

/** One recorded stream event in the page (see fixtures/harness.js); payload fields are spread in. */
export interface PageEvent {
  readonly name: string;
  /** performance.now() in the page, ms. */
  readonly t: number;
  readonly [field: string]: unknown;
}

/** What fixtures/harness.js exposes on `window`. */
export interface PageRecord {
  events: PageEvent[];
  messages: number;
  pongsDelivered: number;
  lastMessage: unknown;
}

declare global {
  interface Window {
    record: PageRecord;
    openStream(config: Record<string, unknown>): void;
    streamState(): string;
    streamHealth(): Record<string, unknown> | undefined;
    closeStream(): Promise<void> | undefined;
    /** Imports `resilient-stream/pool`'s browser file and reports what `new StreamPool({ url: 'not a url' })` throws. */
    poolError(): Promise<{ code: string; ours: boolean } | undefined>;
  }
}
