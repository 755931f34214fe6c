// CI guard (npm run bench:check, under two minutes): a shortened throughput comparison (raw ws vs
// ResilientStream defaults, 6 alternating rounds: each runs first in half of them, since on this host
// the second run of a round is often markedly slower and an odd count would tilt the median) and a shortened herd (200 clients). Fails only on
// a gross regression: RS median per-round ratio below 0.85x raw ws, or a herd that does not fully
// recover. Writes bench/.results/check.json; never touches docs/.
import { ensureBuild } from './lib/env.mjs';
import { resultHeader, saveResult } from './lib/report.mjs';
import { fmt, parseArgs } from './lib/stats.mjs';
import { measureThroughput, summarizeThroughput } from './throughput.mjs';
import { runHerd } from './herd.mjs';

// --min-ratio exists to prove the guard can fail (e.g. --min-ratio=2 must exit 1).
const MIN_RATIO = parseArgs()['min-ratio'] ?? 0.85;
const startedAt = new Date().toISOString();
const t0 = performance.now();
const deadline = setTimeout(() => {
  console.error('[check] FAIL: did not finish within 170 s');
  process.exit(2);
}, 170_000);

const build = await ensureBuild();
const contenders = ['ws', 'rs'];
const runs = await measureThroughput({ rounds: 6, messages: 300_000, warmup: 50_000, contenders });
const rs = summarizeThroughput(runs, contenders).find((s) => s.contender === 'rs');
const herd = await runHerd('rs', { count: 200, downtimeMs: 2_000, recoveryTimeoutMs: 30_000 });

const failures = [];
if (!(rs.ratio.median >= MIN_RATIO)) failures.push(`ResilientStream throughput ratio ${fmt(rs.ratio.median, 3)}x raw ws is below ${MIN_RATIO}x`);
if (!rs.allContiguous) failures.push('ResilientStream delivered non-contiguous trade ids');
if (!herd.recovered) failures.push(`herd not fully recovered: ${herd.accepted} of ${herd.count} clients back within 30 s`);

console.log(`[check] build: ${build}`);
console.log(`[check] throughput: RS ${fmt(rs.rate.median)} msg/s, per-round ratios vs raw ws ${rs.ratios.map((r) => fmt(r, 3)).join(', ')} (median ${fmt(rs.ratio.median, 3)}, floor ${MIN_RATIO})`);
console.log(`[check] herd: ${herd.accepted}/${herd.count} back, p50 ${fmt(herd.p50)} ms, p100 ${fmt(herd.p100)} ms after restart`);
saveResult('check', { ...resultHeader('check', 'check.mjs', startedAt, t0), runs, ratio: rs.ratio, herd, failures });
clearTimeout(deadline);
if (failures.length > 0) {
  for (const failure of failures) console.error(`[check] FAIL: ${failure}`);
  process.exit(1);
}
console.log(`[check] OK in ${fmt((performance.now() - t0) / 1000, 1)} s`);
