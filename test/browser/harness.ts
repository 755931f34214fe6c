import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
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

// ── build ───────────────────────────────────────────────────────────────────────────────────────

/** What the browser tests load from dist/. */
const OUTPUTS = ['dist/browser/index.js', 'dist/testing/index.js', 'dist/index.js'];
const SOURCES = ['src', 'tsup.config.ts'];
const LOCK_DIR = join(ROOT, 'node_modules', '.cache', 'resilient-stream-build.lock');
const LOCK_STALE_MS = 180_000;

function newestMtimeMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

function isBuildFresh(): boolean {
  const outputs = OUTPUTS.map((file) => join(ROOT, file));
  if (!outputs.every((file) => existsSync(file))) return false;
  const oldestOutput = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  return SOURCES.every((source) => newestMtimeMs(join(ROOT, source)) <= oldestOutput);
}

function tryLock(): boolean {
  mkdirSync(join(LOCK_DIR, '..'), { recursive: true });
  try {
    mkdirSync(LOCK_DIR);
    return true;
  } catch {
    // Held by another test file building right now, or left behind by a crashed run.
    if (Date.now() - statSync(LOCK_DIR).mtimeMs > LOCK_STALE_MS) rmdirSync(LOCK_DIR);
    return false;
  }
}

/**
 * Builds dist/ with tsup when it is missing or older than src/ (CI builds first, so this is a
 * no-op there). A directory lock keeps two test files from running tsup, whose `clean` would
 * delete each other's output, at the same time.
 */
export async function ensureBuilt(timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isBuildFresh()) {
    if (tryLock()) {
      try {
        if (!isBuildFresh()) runTsup();
      } finally {
        rmdirSync(LOCK_DIR);
      }
      break;
    }
    if (Date.now() > deadline) throw new Error(`Expected the build lock ${LOCK_DIR} to be released within ${timeoutMs} ms, but it was not.`);
    await new Promise((done) => setTimeout(done, 250));
  }
  for (const file of OUTPUTS) {
    if (!existsSync(join(ROOT, file))) throw new Error(`Expected ${file} after building with tsup, found nothing.`);
  }
}

function runTsup(): void {
  try {
    execFileSync('npx', ['--no-install', 'tsup'], { cwd: ROOT, stdio: 'pipe', timeout: 110_000 });
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`Expected \`npx tsup\` to build dist/, but it failed:\n${output.stdout ?? ''}${output.stderr ?? ''}`, { cause: error });
  }
}

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
  }
}
