// Benchmark 4: how fast a dead feed is noticed. Two faults, injected by the server on request:
//   stall   data stops, the socket stays healthy and answers pings (a dropped subscription)
//   freeze  the server pauses its TCP socket and stops writing: nothing arrives, pings go
//           unanswered (a half-open connection)
// ResilientStream runs with small thresholds; the peers run against the same faults for a
// bounded time. Usage: node bench/detection.mjs [--rounds=5] [--trials=10] [--bound=10000]
import { ensureBuild } from './lib/env.mjs';
import { CONTENDERS } from './lib/contenders.mjs';
import { runClient, startChild } from './lib/proc.mjs';
import { commandLine, renderDocs, renderOnly, resultHeader, saveResult, table } from './lib/report.mjs';
import { fmt, parseArgs, quantile } from './lib/stats.mjs';

const RS_OPTIONS = Object.freeze({ staleAfterMs: 1_000, heartbeat: { intervalMs: 300, timeoutMs: 300 } });
const THRESHOLD_MS = { stall: RS_OPTIONS.staleAfterMs, freeze: RS_OPTIONS.heartbeat.intervalMs + RS_OPTIONS.heartbeat.timeoutMs };
const PEERS = ['ws', 'rws', 'partysocket'];

function summarizeFault(trials, fault) {
  const own = trials.filter((t) => t.fault === fault);
  const detected = own.filter((t) => t.detected);
  const threshold = THRESHOLD_MS[fault];
  const over = detected.map((t) => t.latencyMs - threshold);
  const ratio = detected.map((t) => t.latencyMs / threshold);
  const kinds = {};
  for (const t of detected) kinds[t.how] = (kinds[t.how] ?? 0) + 1;
  return {
    fault, threshold, trials: own.length, detected: detected.length, kinds,
    overP50: quantile(over, 0.5), overP99: quantile(over, 0.99), overMax: Math.max(...over),
    overMin: Math.min(...over),
    ratioP50: quantile(ratio, 0.5), ratioP99: quantile(ratio, 0.99),
    reportedP50: quantile(detected.map((t) => t.reported?.silentForMs ?? Number.NaN).filter(Number.isFinite), 0.5),
  };
}

function render(result) {
  const { config, rs, peers } = result;
  const rows = rs.map((s) => [
    s.fault === 'stall' ? 'Silent stall (data stops, pings answered)' : 'Half-open freeze (socket paused, pings unanswered)',
    `${fmt(s.threshold)} ms (${s.fault === 'stall' ? 'staleAfterMs' : 'intervalMs + timeoutMs'})`,
    `${s.detected} / ${s.trials}`,
    Object.entries(s.kinds).map(([k, n]) => `${k.replace('stale:', '')} ×${n}`).join(', '),
    `${fmt(s.overP50, 1)} / ${fmt(s.overP99, 1)} ms`,
    `${fmt(s.ratioP50, 3)} / ${fmt(s.ratioP99, 3)}`,
    `${fmt(s.overMin, 1)} … ${fmt(s.overMax, 1)} ms`,
  ]);
  const peerRows = peers.map((p) => [
    CONTENDERS[p.contender].label,
    ...['stall', 'freeze'].map((fault) => {
      const own = p.trials.filter((t) => t.fault === fault);
      const detected = own.filter((t) => t.detected).length;
      return detected === 0 ? `not detected in ${fmt(config.boundMs / 1000)} s (0 / ${own.length})` : `${detected} / ${own.length} detected`;
    }),
  ]);
  const verdict = rs.map((s) => `- Target "p99 within 10 % of ${s.fault === 'stall' ? 'staleAfterMs' : 'intervalMs + timeoutMs'}" for ${s.fault === 'stall' ? 'stalls' : 'freezes'}: **${s.detected === s.trials && s.ratioP99 <= 1.1 ? 'met' : 'missed'}** (p99 ${fmt(s.ratioP99, 3)}x the threshold, ${s.detected} of ${s.trials} detected).`);
  return [
    `${commandLine(result, 'bench:detection')}. Clients are \`node bench/detection-client.mjs\`, one process per contender per round, against one \`node bench/server.mjs\` (mode detect). Run ${result.startedAt}, ${fmt(result.durationS)} s.`,
    '',
    `ResilientStream options: \`${JSON.stringify(RS_OPTIONS)}\` (one configuration for both faults). ${config.rounds} rounds; in each, one process runs ${config.trials} stall and ${config.trials} freeze trials at once, each on its own connection fed a data message every 50 ms; the fault is requested after 10 messages. Detection latency is measured by the client from the arrival of the last data message to the \`stale\` event; "over" is latency minus the threshold.`,
    '',
    table(['Fault', 'Threshold', 'Detected', 'By', 'Over threshold p50 / p99', 'Latency ÷ threshold p50 / p99', 'Over threshold min … max'], rows),
    '',
    ...verdict,
    '',
    `The peers against the same faults (${config.peerTrials} of each per round, ${config.rounds} rounds, each trial bounded at ${fmt(config.boundMs / 1000)} s; detection would be any close or error event):`,
    '',
    table(['Contender', 'Silent stall', 'Half-open freeze'], peerRows),
  ].join('\n');
}

async function main() {
  const args = parseArgs();
  if (renderOnly(args, { detection: render })) return;
  const config = { rounds: args.rounds ?? 5, trials: args.trials ?? 10, peerTrials: args.peerTrials ?? 2, boundMs: args.bound ?? 10_000 };
  const startedAt = new Date().toISOString();
  const build = await ensureBuild();
  console.log(`[detection] build: ${build}; ${config.rounds} rounds`);
  const t0 = performance.now();
  const server = startChild('server.mjs', { mode: 'detect', intervalMs: 50, freezeHoldMs: config.boundMs + 5_000, maxLifetimeMs: 60_000 + config.rounds * (config.boundMs + 30_000), maxConnections: 10_000 },
    { timeoutMs: 90_000 + config.rounds * (config.boundMs + 30_000), label: 'detection server' });
  const rsTrials = [];
  const peerTrials = new Map(PEERS.map((p) => [p, []]));
  try {
    const { port } = await server.next('ready');
    const url = `ws://127.0.0.1:${port}/feed`;
    const clientOptions = (contender) => ({ timeoutMs: config.boundMs + 30_000, label: `detection client ${contender}` });
    for (let round = 1; round <= config.rounds; round++) {
      const rs = await runClient('detection-client.mjs', {
        contender: 'rs', url, options: RS_OPTIONS, boundMs: config.boundMs, maxLifetimeMs: config.boundMs + 20_000,
        faults: [{ fault: 'stall', count: config.trials }, { fault: 'freeze', count: config.trials }],
      }, clientOptions('rs'));
      rsTrials.push(...rs.trials.map((t) => ({ round, ...t })));
      // The peers cannot detect either fault; they run side by side to keep the bounded wait short.
      const peers = await Promise.all(PEERS.map((contender) => runClient('detection-client.mjs', {
        contender, url, options: {}, boundMs: config.boundMs, maxLifetimeMs: config.boundMs + 20_000,
        faults: [{ fault: 'stall', count: config.peerTrials }, { fault: 'freeze', count: config.peerTrials }],
      }, clientOptions(contender))));
      for (const p of peers) peerTrials.get(p.contender).push(...p.trials.map((t) => ({ round, ...t })));
      const [stall, freeze] = ['stall', 'freeze'].map((f) => summarizeFault(rs.trials, f));
      console.log(`[detection] round ${round}: stall p50 +${fmt(stall.overP50, 1)} ms (${stall.detected}/${stall.trials}), freeze p50 +${fmt(freeze.overP50, 1)} ms (${freeze.detected}/${freeze.trials}); peers detected ${peers.map((p) => p.trials.filter((t) => t.detected).length).join('/')}`);
    }
    server.send({ type: 'stop' });
  } finally {
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 3_000))]);
    await server.kill();
  }
  const result = {
    ...resultHeader('detection', 'detection.mjs', startedAt, t0), config: { ...config, rsOptions: RS_OPTIONS },
    rs: ['stall', 'freeze'].map((f) => summarizeFault(rsTrials, f)),
    peers: PEERS.map((contender) => ({ contender, trials: peerTrials.get(contender) })),
    trials: rsTrials,
  };
  result.markdown = render(result);
  console.log(`[detection] results: ${saveResult('detection', result)}; docs: ${renderDocs()}`);
  console.log(result.markdown);
}

await main();
