// Benchmark 0: what the browser build costs a page, next to the bare reconnecting sockets. Runs
// scripts/bundle-size.mjs (esbuild, minified, code split, each file gzipped at level 9) on a fresh
// build and renders every row into docs/benchmarks.md with the target. Deterministic: one run.
// Usage: node bench/bundle.mjs [--render-only]
import { execFileSync } from 'node:child_process';
import { ensureBuild, ROOT } from './lib/env.mjs';
import { commandLine, renderDocs, renderOnly, resultHeader, saveResult, table } from './lib/report.mjs';
import { fmt, parseArgs } from './lib/stats.mjs';

const TARGET_BYTES = 10_000;
const STRETCH_BYTES = 8_000;
const kb = (bytes) => `${fmt(bytes / 1000, 1)} KB`;

function render(result) {
  const { rows, budgetBytes } = result.sizes;
  const own = rows[0];
  return [
    `${commandLine(result, 'bench:bundle')}. Run ${result.startedAt}. Every bundle is built the same way: esbuild bundles the entry with its dependencies for the browser, minified, code split (an \`import()\` stays a separate chunk), each file gzipped at level 9; "up front" is the entry and the chunks it imports statically, "on demand" a chunk fetched the first time a stream uses that part. 1 KB = 1000 bytes.`,
    '',
    table(['Bundle', 'min', 'min+gz'], rows.map((row) => [row.name.trim(), kb(row.minBytes), kb(row.gzipBytes)])),
    '',
    `- Target "browser build ≤ ${kb(TARGET_BYTES)} min+gz" (stretch ${kb(STRETCH_BYTES)}): **${own.gzipBytes <= TARGET_BYTES ? 'met' : 'missed'}**: ${kb(own.gzipBytes)} up front.`,
    `- CI budget (\`BUDGET_BYTES\` in scripts/bundle-size.mjs): ${kb(budgetBytes)}, **${own.gzipBytes <= budgetBytes ? 'within' : 'over'}**.`,
  ].join('\n');
}

const args = parseArgs();
if (!renderOnly(args, { bundle: render })) {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  await ensureBuild();
  const sizes = JSON.parse(execFileSync(process.execPath, ['scripts/bundle-size.mjs', '--json'], { cwd: ROOT, encoding: 'utf8' }));
  const result = { ...resultHeader('bundle', 'bundle.mjs', startedAt, t0), sizes };
  result.markdown = render(result);
  console.log(result.markdown);
  saveResult('bundle', result);
  console.log(`docs: ${renderDocs()}`);
}
