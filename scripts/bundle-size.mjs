#!/usr/bin/env node
// Measures what resilient-stream costs a browser page, next to the reconnecting sockets people
// compare it with, and fails when the browser build is over budget or pulls in Node.
//
// Every library is measured the same way: esbuild bundles the entry with all its dependencies for
// the browser, minifies it, and node:zlib gzips the result at level 9. Numbers are bytes; the table
// prints KB (1 KB = 1000 bytes, the unit bundle-size sites use).
//
// Usage: node scripts/bundle-size.mjs [--json]   (needs `npm run build` first; `npm run size` does both)

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BROWSER_BUILD = join(ROOT, 'dist/browser/index.js');

/**
 * Budget for what a page downloads up front from the browser build (every export of the main entry;
 * optional parts fetched on demand are listed apart), min+gz, in bytes. Justified in
 * docs/browsers.md; lowered with every cut, raised only with a reason in the changelog.
 */
export const BUDGET_BYTES = 18_100;

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

/**
 * Bundles `options` for the browser, minified, with code splitting so a dynamic import() stays a
 * separate chunk, the way every bundler ships it. Returns what a page downloads up front (the entry
 * and the chunks it imports statically: min bytes, and gzip bytes with each file gzipped on its own,
 * as a server sends them) and each chunk fetched only on demand (with the chunks it adds).
 */
async function measure(options) {
  const result = await build({
    ...options,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    splitting: true,
    outdir: join(ROOT, 'dist/.size'),
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const files = new Map(result.outputFiles.map((file) => [file.path.slice(ROOT.length + 1), file.contents]));
  const outputs = result.metafile.outputs;
  const closure = (start, seen = new Set()) => {
    for (const path of start) {
      if (seen.has(path)) continue;
      seen.add(path);
      closure(outputs[path].imports.filter((i) => i.kind === 'import-statement').map((i) => i.path), seen);
    }
    return seen;
  };
  const sizeOf = (paths) => {
    let minBytes = 0;
    let gzipBytes = 0;
    for (const path of paths) {
      minBytes += files.get(path).byteLength;
      gzipBytes += gzipSync(files.get(path), { level: 9 }).byteLength;
    }
    return { minBytes, gzipBytes };
  };
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint !== undefined);
  const upFront = closure([entry]);
  const onDemand = [...new Set(Object.values(outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path)))]
    .map((path) => ({ name: path.replace(/^dist\/\.size\//, '').replace(/(-[A-Z0-9]{8})+\.js$/, ''), ...sizeOf([...closure([path])].filter((p) => !upFront.has(p))) }));
  return { ...sizeOf(upFront), onDemand };
}

function fromSource(contents) {
  return { stdin: { contents, resolveDir: ROOT, loader: 'js', sourcefile: 'measured-entry.js' } };
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
  const leaks = [];
  for (const file of readdirSync(dirname(BROWSER_BUILD)).filter((name) => name.endsWith('.js'))) {
    leaks.push(...(await findNodeLeaks(join(dirname(BROWSER_BUILD), file))).map((leak) => `${file}: ${leak}`));
  }
  if (leaks.length > 0) {
    // Bundling would fail or hide the import, so report and stop before measuring.
    console.error(`Expected a browser build free of Node and of bare imports, found:\n  ${leaks.join('\n  ')}`);
    process.exit(1);
  }
  const whole = await measure({ entryPoints: [BROWSER_BUILD] });
  const rows = [
    { name: 'resilient-stream (browser build, everything exported, up front)', ...whole },
    { name: 'resilient-stream, ResilientStream only, up front', ...(await measure(fromSource(`export { ResilientStream } from ${JSON.stringify(BROWSER_BUILD)};`))) },
    ...whole.onDemand.map((chunk) => ({ ...chunk, name: `  + on demand: ${chunk.name}` })),
    { name: 'resilient-stream/pool (StreamPool, all it needs)', ...(await measure({ entryPoints: [join(dirname(BROWSER_BUILD), 'pool.js')] })) },
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
