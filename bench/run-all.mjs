// npm run bench: builds once, then runs every benchmark in its own process (each under a hard
// deadline) and regenerates docs/benchmarks.md. Extra arguments go to every benchmark.
import { spawnSync } from 'node:child_process';
import { ensureBuild, ROOT } from './lib/env.mjs';
import { renderDocs } from './lib/report.mjs';

const BENCHMARKS = [
  ['bundle.mjs', 5 * 60_000],
  ['throughput.mjs', 15 * 60_000],
  ['idle.mjs', 25 * 60_000], // memory and timers in one pass
  ['detection.mjs', 10 * 60_000],
  ['herd.mjs', 20 * 60_000],
  ['rotation.mjs', 10 * 60_000],
];

const build = await ensureBuild();
process.env.BENCH_RUN_ALL = '1';
console.log(`[bench] build: ${build}`);
const failed = [];
for (const [script, timeout] of BENCHMARKS) {
  console.log(`\n[bench] ── ${script} ──`);
  const run = spawnSync(process.execPath, [`bench/${script}`, ...process.argv.slice(2)], {
    cwd: ROOT, stdio: 'inherit', timeout, killSignal: 'SIGKILL', env: process.env,
  });
  if (run.status !== 0) failed.push(`${script} (${run.signal ?? `exit ${run.status}`})`);
}
console.log(`\n[bench] docs: ${renderDocs()}`);
if (failed.length > 0) {
  console.error(`[bench] failed: ${failed.join(', ')}`);
  process.exit(1);
}
