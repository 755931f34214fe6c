// Benchmark 1 + 2: throughput (messages/s) and client CPU per message on a firehose of ~124-byte
// trade ticks. Contenders alternate (rotated order per round); each run is a fresh client process
// against one long-lived server process. Usage:
//   node bench/throughput.mjs [--rounds=15] [--messages=1000000] [--warmup=100000] [--contenders=ws,rs,...]
import { ensureBeforeBuild } from './lib/before.mjs';
import { ensureBuild } from './lib/env.mjs';
import { CONTENDERS, SEQUENCE_OPTIONS_TEXT } from './lib/contenders.mjs';
import { canPin, runClient, startChild } from './lib/proc.mjs';
import { commandLine, renderDocs, renderOnly, resultHeader, saveResult, table } from './lib/report.mjs';
import { fmt, fmtRange, parseArgs, rotate, summarize } from './lib/stats.mjs';
import { buildBatch } from './lib/ticks.mjs';

/** Runs the alternating rounds and returns the per-run results (also used by bench/check.mjs). */
export async function measureThroughput({ rounds, messages, warmup, contenders, log = () => {} }) {
  const server = startChild('server.mjs', {
    mode: 'throughput',
    maxLifetimeMs: 60_000 + rounds * contenders.length * 60_000,
    maxConnections: rounds * contenders.length,
  }, { timeoutMs: 120_000 + rounds * contenders.length * 60_000, label: 'throughput server', cpu: 0 });
  try {
    const { port } = await server.next('ready');
    const runs = [];
    for (let round = 1; round <= rounds; round++) {
      for (const contender of rotate(contenders, round - 1)) {
        const before = await server.request({ type: 'stats' });
        const result = await runClient('throughput-client.mjs', {
          contender, url: `ws://127.0.0.1:${port}/trades?n=${warmup + messages}`, warmup, measure: messages, maxLifetimeMs: 90_000,
        }, { timeoutMs: 100_000, label: `throughput client ${contender}`, cpu: 1 });
        const after = await server.request({ type: 'stats' });
        const serverMicros = after.cpuMicros - before.cpuMicros;
        const serverMessages = after.messagesSent - before.messagesSent;
        runs.push({ round, ...result, serverCpuMicrosPerMessage: serverMessages > 0 ? serverMicros / serverMessages : null });
        log(`round ${round} ${contender.padEnd(12)} ${fmt(result.messagesPerSecond)} msg/s  ${fmt(result.cpuMicrosPerMessage, 2)} µs/msg${result.contiguous ? '' : '  NOT CONTIGUOUS'}`);
      }
    }
    server.send({ type: 'stop' });
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 3_000))]);
    return runs;
  } finally {
    await server.kill();
  }
}

/** Per-contender medians, and per-round ratios against raw ws measured in the same round. */
export function summarizeThroughput(runs, contenders) {
  const byRound = new Map();
  for (const run of runs) byRound.set(`${run.round}:${run.contender}`, run);
  return contenders.map((contender) => {
    const own = runs.filter((r) => r.contender === contender);
    const ratios = own.map((r) => r.messagesPerSecond / byRound.get(`${r.round}:ws`)?.messagesPerSecond);
    const cpuRatios = own.map((r) => r.cpuMicrosPerMessage / byRound.get(`${r.round}:ws`)?.cpuMicrosPerMessage);
    // Messages per client CPU-second relative to raw ws: steadier than wall-clock on a shared host.
    const perCpuRatios = cpuRatios.map((x) => 1 / x);
    return {
      contender,
      rate: summarize(own.map((r) => r.messagesPerSecond)),
      ratio: summarize(ratios),
      ratios,
      cpu: summarize(own.map((r) => r.cpuMicrosPerMessage)),
      cpuRatio: summarize(cpuRatios),
      perCpuRatio: summarize(perCpuRatios),
      perCpuRatios,
      serverCpu: summarize(own.map((r) => r.serverCpuMicrosPerMessage ?? Number.NaN)),
      allContiguous: own.every((r) => r.contiguous),
      gaps: own.reduce((sum, r) => sum + (r.gaps ?? 0), 0),
      duplicates: own.reduce((sum, r) => sum + (r.duplicates ?? 0), 0),
    };
  });
}

function verdicts(summary) {
  const get = (name) => summary.find((s) => s.contender === name);
  const rs = get('rs');
  const lines = [];
  if (rs !== undefined) {
    const peers = ['rws', 'partysocket'].map(get).filter(Boolean);
    const ahead = peers.every((p) => rs.rate.median > p.rate.median);
    const meets = rs.ratio.median >= 0.97;
    lines.push(`- Target "ResilientStream defaults ≥ 0.97x raw ws": **${meets ? 'met' : 'missed'}** on wall-clock messages/s (median per-round ratio ${fmt(rs.ratio.median, 3)}x, range ${fmt(rs.ratio.min, 3)}–${fmt(rs.ratio.max, 3)}); per client CPU-second it is ${fmt(rs.perCpuRatio.median, 3)}x (range ${fmt(rs.perCpuRatio.min, 3)}–${fmt(rs.perCpuRatio.max, 3)}), **${rs.perCpuRatio.median >= 0.97 ? 'met' : 'missed'}**.`);
    lines.push(`- Target "client CPU per message within 5% of raw ws": **${rs.cpuRatio.median <= 1.05 ? 'met' : 'missed'}**: ${fmt(rs.cpu.median, 3)} µs against ${fmt(get('ws')?.cpu.median ?? Number.NaN, 3)} µs, median per-round ratio ${fmt(rs.cpuRatio.median, 3)}x (range ${fmt(rs.cpuRatio.min, 3)}–${fmt(rs.cpuRatio.max, 3)}).`);
    if (peers.length > 0) {
      const aheadPerCpu = peers.every((p) => rs.perCpuRatio.median > p.perCpuRatio.median);
      lines.push(`- Target "ahead of every peer": **${ahead ? 'met' : 'missed'}** on wall-clock messages/s (${peers.map((p) => `${CONTENDERS[p.contender].short} ${fmt(p.ratio.median, 3)}x`).join(', ')}), **${aheadPerCpu ? 'met' : 'missed'}** per CPU-second (${peers.map((p) => `${CONTENDERS[p.contender].short} ${fmt(p.perCpuRatio.median, 3)}x`).join(', ')}).`);
    }
  }
  const broken = summary.filter((s) => !s.allContiguous);
  if (broken.length > 0) lines.push(`- **Invalid runs**: ${broken.map((s) => s.contender).join(', ')} saw non-contiguous trade ids.`);
  return lines;
}

function render(result) {
  const { config, summary } = result;
  const rows = summary.map((s) => [
    CONTENDERS[s.contender].label,
    fmtRange(s.rate, 0),
    s.contender === 'ws' ? '1 (baseline)' : fmtRange(s.ratio, 3),
    fmtRange(s.cpu, 3),
    s.contender === 'ws' ? '1 (baseline)' : fmtRange(s.perCpuRatio, 3),
  ]);
  const perRound = summary.filter((s) => s.contender !== 'ws').map((s) => `${CONTENDERS[s.contender].short}: ${s.ratios.map((r) => fmt(r, 3)).join(', ')}`);
  const seq = summary.find((s) => s.contender === 'rs-seq');
  return [
    `${commandLine(result, 'bench:throughput')}. Each run a fresh \`node bench/throughput-client.mjs\` against one \`node bench/server.mjs\` (mode throughput)${result.config.pinned ? ', the server pinned to CPU 0 and each client to CPU 1 with `taskset` so they never share a CPU (unpinned, round-to-round ratios on this 2-CPU host spread from 0.6 to 1.2; `BENCH_PIN=0` turns it off)' : ''}. Run ${result.startedAt}, ${fmt(result.durationS)} s.`,
    '',
    `${config.rounds} rounds, order rotated each round; per run ${fmt(config.warmup)} warm-up ticks then ${fmt(config.messages)} timed ticks of ${config.payloadBytes} bytes (average JSON payload). Cells: median (min–max) over rounds; ratios are per round against raw ws in the same round.`,
    '',
    table(['Contender', 'Messages/s (wall clock)', 'vs raw ws (per round)', 'Client CPU µs/msg', 'Messages per CPU-second vs raw ws'], rows),
    '',
    `Per-round wall-clock ratios: ${perRound.join('; ')}.`,
    '',
    `Per-round CPU ratios (raw ws µs/msg ÷ contender µs/msg): ${summary.filter((s) => s.contender !== 'ws').map((s) => `${CONTENDERS[s.contender].short}: ${s.perCpuRatios.map((r) => fmt(r, 3)).join(', ')}`).join('; ')}.`,
    '',
    `Server CPU per tick (median over all runs): ${fmt(summarize(summary.flatMap((s) => [s.serverCpu.median])).median, 3)} µs, far below any client's, so the server is not the bottleneck.`,
    seq ? `RS+seq options: \`${SEQUENCE_OPTIONS_TEXT}\`; it reported ${seq.gaps} gaps and ${seq.duplicates} duplicates over all runs (expected 0).` : '',
    '',
    ...verdicts(summary),
  ].join('\n');
}

async function main() {
  const args = parseArgs();
  if (renderOnly(args, { throughput: render })) return;
  const config = {
    rounds: args.rounds ?? 15,
    messages: args.messages ?? 1_000_000,
    warmup: args.warmup ?? 100_000,
    contenders: String(args.contenders ?? 'ws,rs,rs-seq,rws,partysocket').split(','),
    payloadBytes: buildBatch(512).averagePayloadBytes,
    pinned: canPin(),
  };
  if (!config.contenders.includes('ws')) config.contenders.unshift('ws');
  const startedAt = new Date().toISOString();
  const build = await ensureBuild();
  if (config.contenders.includes('rs-before')) console.log(`[throughput] before: ${await ensureBeforeBuild()}`);
  console.log(`[throughput] build: ${build}; ${config.rounds} rounds x ${config.contenders.join(', ')}`);
  const t0 = performance.now();
  const runs = await measureThroughput({ ...config, log: (line) => console.log(`[throughput] ${line}`) });
  const summary = summarizeThroughput(runs, config.contenders);
  const result = {
    ...resultHeader('throughput', 'throughput.mjs', startedAt, t0), config, runs, summary,
  };
  result.markdown = render(result);
  console.log(`[throughput] results: ${saveResult('throughput', result)}; docs: ${renderDocs()}`);
  console.log(result.markdown);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
