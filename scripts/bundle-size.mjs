#!/usr/bin/env node
// Measures what resilient-stream costs a browser page, next to the reconnecting sockets people
// compare it with, and fails when the browser build is over budget or pulls in Node.
//
// Every library is measured the same way: esbuild bundles the entry with all its dependencies for
// the browser, minifies it, and node:zlib gzips the result at level 9. Numbers are bytes; the table
// prints KB (1 KB = 1000 bytes, the unit bundle-size sites use).
//
// Usage: node scripts/bundle-size.mjs [--json]   (needs `npm run build` first; `npm run size` does both)

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BROWSER_BUILD = join(ROOT, 'dist/browser/index.js');

/**
 * Budget for the whole browser build, min+gz, in bytes. Justified in docs/browsers.md: about three
 * times a bare reconnecting socket, well under socket.io-client, for staleness, heartbeats, resync
 * and storm detection on top of reconnecting. Raise it only with a reason in the changelog.
 */
export const BUDGET_BYTES = 27_500;

/**
 * Code that must never appear in the browser build: each one means Node leaked in or a bare
 * specifier was left for the page to resolve (it cannot). Checked on the build minified but not
 * re-bundled, so imports stay visible and the TSDoc comments that mention Node's `ws` do not count.
 */
const FORBIDDEN = [
  { pattern: /\brequire\(/, why: 'a CommonJS require() call' },
  { pattern: /["'`]node:/, why: 'a node: built-in import' },
  { pattern: /\bBuffer\b/, why: 'the Node Buffer global' },
  { pattern: /\bprocess\./, why: 'the Node process global' },
  { pattern: /\bfrom\s*["'`][^"'`./]/, why: 'an import of a bare specifier' },
  { pattern: /\bimport\s*\(\s*["'`][^"'`./]/, why: 'a dynamic import of a bare specifier' },
];

/** The peers, measured from their installed devDependency copies. */
const PEERS = [
  { name: 'reconnecting-websocket 4.4.0', source: "export { default } from 'reconnecting-websocket';" },
  { name: 'partysocket 1.3.0 (PartySocket)', source: "export { default, WebSocket } from 'partysocket';" },
  { name: 'partysocket 1.3.0 (partysocket/ws)', source: "export { default } from 'partysocket/ws';" },
];

/** Bundles `options` for the browser, minified; returns raw, minified and gzipped byte counts. */
async function measure(options) {
  const result = await build({
    ...options,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

function fromSource(contents) {
  return { stdin: { contents, resolveDir: ROOT, loader: 'js' } };
}

/** Every forbidden pattern found in the browser build, with the code around it. */
async function findNodeLeaks(file) {
  const { code: text } = await transform(readFileSync(file, 'utf8'), { minify: true, format: 'esm', target: 'es2022', loader: 'js' });
  const leaks = [];
  for (const { pattern, why } of FORBIDDEN) {
    const match = pattern.exec(text);
    if (match !== null) leaks.push(`${why}: …${text.slice(Math.max(0, match.index - 40), match.index + 40)}…`);
  }
  return leaks;
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;

async function main() {
  if (!existsSync(BROWSER_BUILD)) {
    console.error(`Expected the browser build at ${BROWSER_BUILD}, found nothing: run \`npm run build\` first.`);
    process.exit(2);
  }
  const leaks = await findNodeLeaks(BROWSER_BUILD);
  if (leaks.length > 0) {
    // Bundling would fail or hide the import, so report and stop before measuring.
    console.error(`Expected a browser build free of Node and of bare imports, found:\n  ${leaks.join('\n  ')}`);
    process.exit(1);
  }
  const rows = [
    { name: 'resilient-stream (browser build)', ...(await measure({ entryPoints: [BROWSER_BUILD] })) },
    { name: 'resilient-stream, ResilientStream only', ...(await measure(fromSource(`export { ResilientStream } from ${JSON.stringify(BROWSER_BUILD)};`))) },
  ];
  for (const peer of PEERS) rows.push({ name: peer.name, ...(await measure(fromSource(peer.source))) });
  const own = rows[0];

  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ budgetBytes: BUDGET_BYTES, rows }, null, 2));
  } else {
    const width = Math.max(...rows.map((row) => row.name.length));
    console.log(`${'bundle'.padEnd(width)}  ${'min'.padStart(8)}  ${'min+gz'.padStart(8)}`);
    for (const row of rows) console.log(`${row.name.padEnd(width)}  ${kb(row.minBytes).padStart(8)}  ${kb(row.gzipBytes).padStart(8)}`);
  }
  if (own.gzipBytes > BUDGET_BYTES) {
    console.error(`\nExpected the browser build to be at most ${BUDGET_BYTES} bytes min+gz (BUDGET_BYTES), got ${own.gzipBytes}.`);
    process.exit(1);
  }
  console.error(`\nWithin budget: ${own.gzipBytes} of ${BUDGET_BYTES} bytes min+gz (${Math.round((own.gzipBytes / BUDGET_BYTES) * 100)}%); no Node built-ins, no bare imports.`);
}

await main();
