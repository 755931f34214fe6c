// Benchmarks 3 (memory) and 6 (timers): many idle connected streams in one client process, each
// contender in its own process against a fresh server process, rounds alternating.
//   node bench/idle.mjs [--only=memory|timers] [--rounds=5] [--count=10000] [--window=10000]
// Per-connection figures are taken against the process's own baseline before connecting; the
// "above raw ws" figures subtract raw ws's per-connection figure from the same round.
import { ensureBeforeBuild } from './lib/before.mjs';
import { ensureBuild } from './lib/env.mjs';
import { CONTENDERS, SEQUENCE_OPTIONS_TEXT } from './lib/contenders.mjs';
import { runClient, startChild } from './lib/proc.mjs';
import { commandLine, renderDocs, renderOnly, resultHeader, saveResult, table } from './lib/report.mjs';
import { fmt, fmtRange, parseArgs, rotate, summarize } from './lib/stats.mjs';

async function runOne(contender, config) {
  const server = startChild('server.mjs', { mode: 'idle', maxLifetimeMs: 150_000, maxConnections: config.count + 100 },
    { timeoutMs: 160_000, ulimit: true, label: 'idle server' });
  try {
    const { port } = await server.next('ready');
    const result = await runClient('idle-client.mjs', {
      contender, url: `ws://127.0.0.1:${port}/idle`, count: config.count, batchSize: 500,
      windowMs: config.only === 'memory' ? 0 : config.windowMs, maxLifetimeMs: 120_000,
    }, { timeoutMs: 130_000, ulimit: true, nodeArgs: ['--expose-gc'], label: `idle client ${contender}` });
    const stats = await server.request({ type: 'stats' });
    return { ...result, serverPings: stats.pings, serverConnections: stats.connections };
  } finally {
    server.send({ type: 'stop' });
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 3_000))]);
    await server.kill();
  }
}

function summarizeIdle(runs, contenders) {
  const raw = new Map(runs.filter((r) => r.contender === 'ws').map((r) => [r.round, r]));
  return contenders.map((contender) => {
    const own = runs.filter((r) => r.contender === contender);
    const above = (key) => own.map((r) => r.memory[key] - (raw.get(r.round)?.memory[key] ?? Number.NaN));
    return {
      contender,
      heap: summarize(own.map((r) => r.memory.heapUsed)),
      rss: summarize(own.map((r) => r.memory.rss)),
      external: summarize(own.map((r) => r.memory.external)),
      heapAboveRaw: summarize(above('heapUsed')),
      rssAboveRaw: summarize(above('rss')),
      connectMs: summarize(own.map((r) => r.connectMs)),
      setTimeoutPerSecond: summarize(own.map((r) => r.timers?.setTimeoutPerSecond ?? Number.NaN)),
      setIntervalPerSecond: summarize(own.map((r) => r.timers?.setIntervalPerSecond ?? Number.NaN)),
      elu: summarize(own.map((r) => (r.timers?.eventLoopUtilization ?? Number.NaN) * 100)),
      cpuPercent: summarize(own.map((r) => r.timers?.cpuPercent ?? Number.NaN)),
      serverPings: summarize(own.map((r) => r.serverPings)),
      downs: own.reduce((sum, r) => sum + r.downs, 0),
    };
  });
}

function header(result, section) {
  const { config } = result;
  return [
    `${commandLine(result, `bench:${section}`)}. Each run is \`bash -c 'ulimit -n 65536 || ulimit -n <hard limit>; node --expose-gc bench/idle-client.mjs'\` against a fresh \`node bench/server.mjs\` (mode idle). Run ${result.startedAt}, ${fmt(result.durationS)} s.`,
    '',
    `${config.rounds} rounds, order rotated each round, ${fmt(config.count)} idle connections per contender process (opened 500 at a time), open-file limit ${result.env.openFileLimit}. Cells: median (min–max) over rounds.`,
    ...(Number(result.env.openFileLimit) < 65_536
      ? ['', `\`ulimit -n 65536\` was refused on this machine (hard limit ${result.env.openFileLimit}); ${result.env.openFileLimit} descriptors per process still cover ${fmt(config.count)} connections (the server is a separate process), so the full count was used.`]
      : []),
  ];
}

function renderMemory(result) {
  const { summary } = result;
  const get = (name) => summary.find((s) => s.contender === name);
  const rows = summary.map((s) => [
    CONTENDERS[s.contender].label, fmtRange(s.heap, 0), fmtRange(s.rss, 0),
    s.contender === 'ws' ? '0 (baseline)' : fmtRange(s.heapAboveRaw, 0),
    s.contender === 'ws' ? '0 (baseline)' : fmtRange(s.rssAboveRaw, 0),
  ]);
  const lines = [...header(result, 'memory'), '',
    'Bytes per connection, measured after two `global.gc()` calls, relative to the same process before it connected:', '',
    table(['Contender', 'Heap B/conn', 'RSS B/conn', 'Heap above raw ws', 'RSS above raw ws'], rows), ''];
  const rs = get('rs');
  const rws = get('rws');
  if (rs && rws) {
    // Both medians come from this run (same machine, same server, rounds interleaved).
    const margin = rws.heap.median - rs.heap.median;
    lines.push(`- Target "ResilientStream (defaults) heap per connection <= reconnecting-websocket's": **${margin >= 0 ? 'met' : 'not met'}**: ` +
      `${fmt(rs.heap.median)} B vs ${fmt(rws.heap.median)} B per connection, ${fmt(Math.abs(margin))} B ${margin >= 0 ? 'below' : 'above'} it ` +
      `(above raw ws: ${fmt(rs.heapAboveRaw.median)} B vs ${fmt(rws.heapAboveRaw.median)} B).`);
  }
  const downs = summary.filter((s) => s.downs > 0);
  if (downs.length) lines.push(`- Connections that dropped during the run: ${downs.map((s) => `${s.contender} ${s.downs}`).join(', ')}.`);
  return lines.join('\n');
}

function renderTimers(result) {
  const { summary, config } = result;
  const rows = summary.map((s) => [
    CONTENDERS[s.contender].label, fmtRange(s.setTimeoutPerSecond, 0), fmtRange(s.setIntervalPerSecond, 0),
    fmtRange(s.elu, 2, ' %'), fmtRange(s.cpuPercent, 2, ' %'), fmtRange(s.serverPings, 0),
  ]);
  const rs = summary.find((s) => s.contender === 'rs');
  const lines = [...header(result, 'timers'), '',
    `Over a ${fmt(config.windowMs / 1000)} s window right after the last connection opened and the heap was collected (no traffic at all; the server answers protocol pings):`, '',
    table(['Contender', 'setTimeout calls/s', 'setInterval calls/s', 'Event-loop utilisation', 'Client CPU', 'Pings seen by server'], rows), ''];
  if (rs) {
    lines.push(`- ResilientStream arms ${fmt(rs.setTimeoutPerSecond.median / config.count, 2)} timers per stream per second while idle: the one sampling timer of its liveness monitor (staleness and heartbeat deadlines, src/liveness.ts). Raw ws and the peers arm none once a socket is open; they also watch nothing.`);
  }
  lines.push(`- RS+seq options: \`${SEQUENCE_OPTIONS_TEXT}\`.`);
  const downs = summary.filter((s) => s.downs > 0);
  if (downs.length) lines.push(`- Connections that dropped during the run: ${downs.map((s) => `${s.contender} ${s.downs}`).join(', ')}.`);
  return lines.join('\n');
}

async function main() {
  const args = parseArgs();
  const renderers = { memory: renderMemory, timers: renderTimers };
  if (renderOnly(args, args.only === undefined ? renderers : { [args.only]: renderers[args.only] })) return;
  const config = {
    only: args.only ?? 'both',
    rounds: args.rounds ?? 5,
    count: args.count ?? 10_000,
    windowMs: args.window ?? 10_000,
    contenders: String(args.contenders ?? 'ws,rs,rs-seq,rws,partysocket').split(','),
  };
  if (!config.contenders.includes('ws')) config.contenders.unshift('ws');
  const startedAt = new Date().toISOString();
  const build = await ensureBuild();
  if (config.contenders.includes('rs-before')) console.log(`[idle] before: ${await ensureBeforeBuild()}`);
  console.log(`[idle] build: ${build}; ${config.rounds} rounds x ${config.contenders.join(', ')}; ${config.count} connections`);
  const t0 = performance.now();
  const runs = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const contender of rotate(config.contenders, round - 1)) {
      const run = { round, ...(await runOne(contender, config)) };
      runs.push(run);
      console.log(`[idle] round ${round} ${contender.padEnd(12)} heap ${fmt(run.memory.heapUsed)} B/conn, rss ${fmt(run.memory.rss)} B/conn, connect ${fmt(run.connectMs)} ms` +
        (run.timers ? `, ${fmt(run.timers.setTimeoutPerSecond)} setTimeout/s, ELU ${fmt(run.timers.eventLoopUtilization * 100, 2)} %` : '') + (run.downs ? `, ${run.downs} dropped` : ''));
    }
  }
  const summary = summarizeIdle(runs, config.contenders);
  for (const section of config.only === 'both' ? ['memory', 'timers'] : [config.only]) {
    const result = { ...resultHeader(section, 'idle.mjs', startedAt, t0), config, runs, summary };
    result.markdown = section === 'memory' ? renderMemory(result) : renderTimers(result);
    console.log(`[idle] ${section} results: ${saveResult(section, result)}`);
    console.log(result.markdown);
  }
  console.log(`[idle] docs: ${renderDocs()}`);
}

await main();
