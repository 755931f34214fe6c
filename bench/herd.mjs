// Benchmark 5: the reconnect herd. `count` clients of one contender (one process) connect to a
// server process; the server is SIGKILLed, stays down 2 s, and a new server process is started on
// the same port. The new server records when each handshake completes; from those times come the
// recovery percentiles and the burstiness (connections per 100 ms bucket).
//   node bench/herd.mjs [--rounds=5] [--count=1000] [--downtime=2000] [--configs=rs,rws,...]
import { ensureBuild } from './lib/env.mjs';
import { CONTENDERS } from './lib/contenders.mjs';
import { sleep, startChild } from './lib/proc.mjs';
import { commandLine, renderDocs, renderOnly, resultHeader, saveResult, table } from './lib/report.mjs';
import { fmt, fmtRange, parseArgs, quantile, rotate, summarize } from './lib/stats.mjs';

const EQUAL_RS = { backoff: { initialDelayMs: 1_000, maxDelayMs: 10_000, factor: 1.3 } };
const EQUAL_PEER = { minReconnectionDelay: 1_000, maxReconnectionDelay: 10_000, reconnectionDelayGrowFactor: 1.3 };

/** Backoff settings per row; "equal" rows give every library the same min/max/growth. */
export const HERD_CONFIGS = Object.freeze({
  rs: { contender: 'rs', options: {}, settings: 'defaults: full jitter, cap min(500 ms × 2^(attempt−1), 3 × outage so far but ≥ 500 ms), max 30 s' },
  rws: { contender: 'rws', options: {}, settings: 'defaults: 1–5 s (one random draw per process) × 1.3^(attempt−1), max 10 s, no jitter' },
  partysocket: { contender: 'partysocket', options: {}, settings: 'defaults: 3 s × 1.3^(attempt−1), max 10 s, no jitter' },
  'rs-equal': { contender: 'rs', options: EQUAL_RS, settings: 'equal: full jitter, cap min(1 s × 1.3^(attempt−1), 3 × outage so far but ≥ 1 s), max 10 s' },
  'rws-equal': { contender: 'rws', options: EQUAL_PEER, settings: 'equal: 1 s × 1.3^(attempt−1), max 10 s' },
  'partysocket-equal': { contender: 'partysocket', options: EQUAL_PEER, settings: 'equal: 1 s × 1.3^(attempt−1), max 10 s' },
});

const BUCKET_MS = 100;
const HANDSHAKE_SLACK_MS = 500;
/** What ResilientStream with its defaults must do after a 2 s outage (busiest share in %, times in s). */
const DEFAULTS_TARGET = Object.freeze({ peakShare: 8, p90: 4, p100: 8 });

/** ResilientStream's cap (src/backoff.ts) for a wait before `attempt`, `outageMs` into the outage. */
function backoffCap(attempt, outageMs, options) {
  const { initialDelayMs = 500, maxDelayMs = 30_000, factor = 2, outageFactor = 3 } = options.backoff ?? {};
  const byAttempt = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt - 1));
  return Math.min(byAttempt, Math.max(initialDelayMs, outageFactor * outageMs));
}

/** One herd: connect, kill the server, restart it after `downtimeMs`, time the recovery. */
export async function runHerd(name, { count, downtimeMs, recoveryTimeoutMs = 45_000 }) {
  const { contender, options } = HERD_CONFIGS[name];
  const serverConfig = { mode: 'herd', maxLifetimeMs: recoveryTimeoutMs + 60_000, maxConnections: count * 3 };
  const first = startChild('server.mjs', serverConfig, { timeoutMs: recoveryTimeoutMs + 70_000, ulimit: true, label: 'herd server' });
  let second;
  let client;
  try {
    const { port } = await first.next('ready');
    client = startChild('herd-client.mjs', { contender, url: `ws://127.0.0.1:${port}/herd`, count, options, maxLifetimeMs: recoveryTimeoutMs + 60_000 },
      { timeoutMs: recoveryTimeoutMs + 70_000, ulimit: true, label: `herd client ${name}` });
    await client.next('connected');
    await sleep(1_000);
    const killAt = performance.timeOrigin + performance.now();
    await first.kill('SIGKILL');
    await sleep(Math.max(0, killAt + downtimeMs - (performance.timeOrigin + performance.now())));
    second = startChild('server.mjs', { ...serverConfig, port }, { timeoutMs: recoveryTimeoutMs + 70_000, ulimit: true, label: 'herd server (restarted)' });
    const { listenAt } = await second.next('ready');
    const recovered = await Promise.race([client.next('recovered').then(() => true), sleep(recoveryTimeoutMs).then(() => false)]);
    const stats = await second.request({ type: 'stats', withTimes: true });
    const result = await Promise.race([(client.send({ type: 'finish' }), client.next('result')), sleep(10_000).then(() => ({ data: {} }))]);
    return analyse({ name, count, killAt, listenAt, recovered, acceptedAt: stats.acceptedAt, client: result.data, options });
  } finally {
    await Promise.all([first.kill(), client?.kill(), second?.kill()]);
  }
}

function analyse({ name, count, killAt, listenAt, recovered, acceptedAt, client, options }) {
  const since = acceptedAt.map((t) => t - listenAt).sort((a, b) => a - b);
  const at = (q) => (since.length >= Math.ceil(q * count) ? since[Math.ceil(q * count) - 1] : Number.NaN);
  const p100 = at(1);
  const buckets = new Map();
  for (const t of since) buckets.set(Math.floor(t / BUCKET_MS), (buckets.get(Math.floor(t / BUCKET_MS)) ?? 0) + 1);
  const peak = Math.max(0, ...buckets.values());
  const windowBuckets = Math.max(1, Math.ceil((Number.isFinite(p100) ? p100 : since.at(-1) ?? 0) / BUCKET_MS));
  const finalCaps = (client.finalWaits ?? []).map(([attempt, , outageMs]) => backoffCap(attempt, outageMs, options));
  return {
    name, count, recovered: recovered && since.length >= count, accepted: since.length,
    downtimeMs: listenAt - killAt,
    p50: at(0.5), p90: at(0.9), p100,
    peakPerBucket: peak, peakShare: peak / count, peakOverMean: peak / (count / windowBuckets), windowBuckets,
    jitterCapMs: finalCaps.length ? Math.max(...finalCaps) : null,
    maxAttempt: client.maxAttempts ?? null,
  };
}

const LIBRARY = { rs: 'ResilientStream', rws: 'reconnecting-websocket', partysocket: 'partysocket' };
const rowLabel = (name) => `${LIBRARY[HERD_CONFIGS[name].contender]}, ${HERD_CONFIGS[name].settings}`;

function targetLines(summary, runs) {
  const lines = [];
  const byPeakOverMean = [...summary].sort((a, b) => a.peakOverMean.median - b.peakOverMean.median);
  const byShare = [...summary].sort((a, b) => a.peakShare.median - b.peakShare.median);
  const flattest = byPeakOverMean[0];
  if (flattest) {
    const isRs = HERD_CONFIGS[flattest.name].contender === 'rs';
    lines.push(`- Target "the flattest peak ÷ mean": **${isRs ? 'met' : 'missed'}**: the lowest median peak ÷ mean is ${fmt(flattest.peakOverMean.median, 1)} (${rowLabel(flattest.name)}).`);
  }
  const peers = summary.filter((s) => HERD_CONFIGS[s.name].contender !== 'rs').map((s) => `${fmt(s.peakShare.median, 0)} %`);
  if (byShare[0]) lines.push(`- Lowest peak share: ${rowLabel(byShare[0].name)}, ${fmt(byShare[0].peakShare.median, 1)} % of the fleet in its busiest ${BUCKET_MS} ms${peers.length ? ` (the peers: ${peers.join(', ')})` : ''}.`);
  const defaults = summary.find((row) => row.name === 'rs');
  if (defaults) {
    const { peakShare, p90, p100 } = DEFAULTS_TARGET;
    const met = defaults.peakShare.median <= peakShare && defaults.p90.median <= p90 && defaults.p100.median <= p100;
    lines.push(`- ResilientStream with its defaults, target "busiest ${BUCKET_MS} ms ≤ ${peakShare} % of the fleet, p90 ≤ ${p90} s, p100 ≤ ${p100} s" (medians): **${met ? 'met' : 'missed'}**: ${fmt(defaults.peakShare.median, 1)} %, ${fmt(defaults.p90.median, 2)} s, ${fmt(defaults.p100.median, 2)} s.`);
  }
  for (const s of summary.filter((row) => HERD_CONFIGS[row.name].contender === 'rs')) {
    // Per run: no client may come back later than the largest cap it waited under, plus the handshake.
    const own = runs.filter((r) => r.name === s.name);
    const within = own.filter((r) => r.jitterCapMs !== null && r.p100 <= r.jitterCapMs + HANDSHAKE_SLACK_MS).length;
    lines.push(`- ResilientStream with ${HERD_CONFIGS[s.name].settings.startsWith('defaults') ? 'its defaults' : 'the equal settings'}, target "p100 no worse than the jitter cap allows": **${within === own.length ? 'met' : 'missed'}** in ${within} of ${own.length} runs: p100 ${fmtRange(s.p100, 2, ' s')}, against the largest cap among the waits that ended in a reconnect, ${fmtRange(s.jitterCap, 2, ' s')} (highest attempt ${fmtRange(s.maxAttempt, 0)}). A client comes back at most its cap after the server does, plus ${HANDSHAKE_SLACK_MS / 1000} s allowed for the handshake; the cap of each wait is recomputed from its attempt and how long that client's outage had lasted.`);
  }
  return lines;
}

function render(result) {
  const { config, summary } = result;
  const rows = summary.map((s) => [
    rowLabel(s.name),
    `${s.recoveredRuns} / ${s.runs}`,
    fmtRange(s.p50, 2, ' s'), fmtRange(s.p90, 2, ' s'), fmtRange(s.p100, 2, ' s'),
    fmtRange(s.peak, 0), fmtRange(s.peakShare, 1, ' %'), fmtRange(s.peakOverMean, 1),
  ]);
  return [
    `${commandLine(result, 'bench:herd')}. Per run one \`node bench/herd-client.mjs\` process (${fmt(config.count)} clients) and two \`node bench/server.mjs\` processes (mode herd): the first is SIGKILLed, the second starts on the same port after ${fmt(config.downtimeMs / 1000)} s. Run ${result.startedAt}, ${fmt(result.durationS)} s.`,
    '',
    `${config.rounds} rounds, order rotated each round. Times run from the moment the restarted server listens (measured downtime ${fmtRange(summarize(result.runs.map((r) => r.downtimeMs)), 0, ' ms')}) to the handshakes the server completes. Peak = most handshakes in one ${BUCKET_MS} ms bucket; peak ÷ mean divides it by the mean per bucket over that run's own recovery window (0 to p100). Cells: median (min–max) over rounds. The server listens with Node's default backlog (511) and completes a few thousand handshakes per second on this machine, which caps every peak.`,
    '',
    table(['Client and backoff settings', 'Fully recovered', 'p50', 'p90', 'p100', `Peak / ${BUCKET_MS} ms`, 'Peak share of fleet', 'Peak ÷ mean'], rows),
    '',
    ...targetLines(summary, result.runs),
    '- How to read peak ÷ mean: it compares each run with its own recovery window, so a fleet that arrives all at once and is done in half a second scores well (short window, high mean), while a long tail (a few clients that drew a long delay) stretches the window and shrinks the mean. The peak itself and the peak share are the load a restarting server actually sees.',
  ].join('\n');
}

async function main() {
  const args = parseArgs();
  if (renderOnly(args, { herd: render })) return;
  const config = {
    rounds: args.rounds ?? 5, count: args.count ?? 1_000, downtimeMs: args.downtime ?? 2_000,
    configs: String(args.configs ?? Object.keys(HERD_CONFIGS).join(',')).split(','),
  };
  const startedAt = new Date().toISOString();
  const build = await ensureBuild();
  console.log(`[herd] build: ${build}; ${config.rounds} rounds x ${config.configs.join(', ')}; ${config.count} clients`);
  const t0 = performance.now();
  const runs = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const name of rotate(config.configs, round - 1)) {
      const run = { round, ...(await runHerd(name, config)) };
      runs.push(run);
      console.log(`[herd] round ${round} ${name.padEnd(18)} ${run.recovered ? 'recovered' : `NOT recovered (${run.accepted}/${run.count})`}: p50 ${fmt(run.p50)} p90 ${fmt(run.p90)} p100 ${fmt(run.p100)} ms; peak ${run.peakPerBucket}/100 ms (${fmt(run.peakShare * 100, 1)} %), peak/mean ${fmt(run.peakOverMean, 1)}`);
    }
  }
  const summary = config.configs.map((name) => {
    const own = runs.filter((r) => r.name === name);
    return {
      name, runs: own.length, recoveredRuns: own.filter((r) => r.recovered).length,
      p50: summarize(own.map((r) => r.p50 / 1000)), p90: summarize(own.map((r) => r.p90 / 1000)), p100: summarize(own.map((r) => r.p100 / 1000)),
      peak: summarize(own.map((r) => r.peakPerBucket)), peakShare: summarize(own.map((r) => r.peakShare * 100)),
      peakOverMean: summarize(own.map((r) => r.peakOverMean)),
      jitterCap: summarize(own.map((r) => (r.jitterCapMs ?? Number.NaN) / 1000)), maxAttempt: summarize(own.map((r) => r.maxAttempt ?? Number.NaN)),
    };
  });
  const result = {
    ...resultHeader('herd', 'herd.mjs', startedAt, t0), config, runs, summary,
    settings: Object.fromEntries(config.configs.map((n) => [n, HERD_CONFIGS[n]])),
  };
  result.markdown = render(result);
  console.log(`[herd] results: ${saveResult('herd', result)}; docs: ${renderDocs()}`);
  console.log(result.markdown);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
