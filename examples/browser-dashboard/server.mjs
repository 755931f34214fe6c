#!/usr/bin/env node
// The live dashboard: starts the fault-injecting feed server and serves a static page that watches
// it through the browser build of resilient-stream. Open the printed URL, press the fault buttons
// and watch the stream notice and recover.
//
//   npm run dashboard                         # build, then serve on http://127.0.0.1:8080/
//   node examples/browser-dashboard/server.mjs --port 0 --rate 40
//   node examples/browser-dashboard/server.mjs --smoke   # start, fetch the page, exit 0 (CI)
//
// Plain node:http, no framework. Runs until Ctrl-C.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

const BROWSER_BUILD = join(ROOT, 'dist/browser');

/** URL path → file. Nothing else is reachable but the files of the browser build (see fileFor). */
const FILES = {
  '/': join(HERE, 'index.html'),
  '/index.html': join(HERE, 'index.html'),
  '/dashboard.js': join(HERE, 'dashboard.js'),
  '/style.css': join(HERE, 'style.css'),
};

/** The file behind a URL path: a page file, or a file of the browser build (the entry and its chunks). */
function fileFor(path) {
  if (Object.hasOwn(FILES, path)) return FILES[path];
  const name = path.startsWith('/dist/browser/') ? path.slice('/dist/browser/'.length) : '';
  return /^[\w.-]+\.js(\.map)?$/.test(name) && existsSync(join(BROWSER_BUILD, name)) ? join(BROWSER_BUILD, name) : undefined;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      rate: { type: 'string', default: '25' },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const port = Number(values.port);
  const rate = Number(values.rate);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`Expected --port to be an integer from 0 to 65535, got ${JSON.stringify(values.port)}.`);
  if (!Number.isFinite(rate) || rate <= 0) throw new TypeError(`Expected --rate to be a number > 0 (messages per second per topic), got ${JSON.stringify(values.rate)}.`);
  return { port, host: values.host, rate, smoke: values.smoke, help: values.help };
}

/**
 * Starts the feed server and the page server.
 * @returns `{ url, feed, close() }`; `url` is the page, `feed` the FeedServer.
 */
export async function startDashboard({ port = 0, host = '127.0.0.1', rate = 25 } = {}) {
  if (!existsSync(join(BROWSER_BUILD, 'index.js'))) {
    throw new Error('Expected the browser build at dist/browser/index.js, found nothing: run `npm run build` first (or `npm run dashboard`).');
  }
  const { createFeedServer } = await import(pathToFileURL(join(ROOT, 'dist/testing/index.js')).href);
  const feed = await createFeedServer({ dialect: 'json', messagesPerSecond: rate, host });
  const config = JSON.stringify({ feedUrl: `${feed.url}/feed`, controlUrl: feed.httpUrl, messagesPerSecond: rate });

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/config.json') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(config);
      return;
    }
    const file = fileFor(path);
    if (req.method !== 'GET' || file === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Not found: ${req.method} ${path}\n`);
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)], 'Cache-Control': 'no-store' }).end(body);
    } catch (error) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Could not read ${path}: ${error.message}\n`);
    }
  });
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
  } catch (error) {
    await feed.close();
    throw new Error(`Expected to listen on ${host}:${port}, got ${error.message}`, { cause: error });
  }
  const address = server.address();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}/`,
    feed,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await feed.close();
    },
  };
}

/** Fetches every file the page needs once and checks it; throws on the first problem. */
async function smoke(url) {
  for (const path of ['', 'dashboard.js', 'style.css', 'config.json', 'dist/browser/index.js']) {
    const response = await fetch(new URL(path, url));
    if (response.status !== 200) throw new Error(`Expected 200 for /${path}, got ${response.status}.`);
    const text = await response.text();
    if (path === '' && !text.includes('/dashboard.js')) throw new Error('Expected the page to load /dashboard.js, it does not.');
  }
  const state = await fetch(JSON.parse(await (await fetch(new URL('config.json', url))).text()).controlUrl + '/control/state');
  if (state.status !== 200) throw new Error(`Expected the feed's control surface to answer 200, got ${state.status}.`);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log('Usage: node examples/browser-dashboard/server.mjs [--port 8080] [--host 127.0.0.1] [--rate 25] [--smoke]');
    return;
  }
  const dashboard = await startDashboard(options);
  if (options.smoke) {
    try {
      await smoke(dashboard.url);
      console.log(`smoke: ok (${dashboard.url})`);
    } finally {
      await dashboard.close();
    }
    return;
  }
  console.log(`Dashboard: ${dashboard.url}`);
  console.log(`Feed:      ${dashboard.feed.url}  (control: ${dashboard.feed.httpUrl}/control/<fault>)`);
  console.log('Press Ctrl-C to stop.');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    dashboard.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
