// Benchmark 6: what a make-before-break rotation costs the consumer. One feed topic at a steady
// rate; the stream rotates by age (`rotate.maxAgeMs`) N times in a row, with `sequence` proving
// overlap. Measured from delivery: messages lost or delivered twice (must be 0), and the longest
// pause between two deliveries around each rotation, compared with the feed's own interval. The
// same feed with N `reconnect()` calls (break-before-make) is the baseline.
// Usage: node bench/rotation.mjs [--rotations=100] [--rate=200]
import { ensureBuild, ROOT } from './lib/env.mjs';
import { commandLine, renderDocs, renderOnly, resultHeader, saveResult, table } from './lib/report.mjs';
import { fmt, parseArgs, quantile } from './lib/stats.mjs';

const WINDOW_MS = 100; // a pause "around" a rotation starts within this long of it

async function run(mode, config) {
  const { ResilientStream } = await import(`${ROOT}/dist/index.js`);
  const { createFeedServer } = await import(`${ROOT}/dist/testing/index.js`);
  const feed = await createFeedServer({ messagesPerSecond: config.rate });
  const arrivals = [];
  const switches = [];
  let lost = 0;
  let doubled = 0;
  let last;
  let dropped = 0;
  let gapless = 0;
  const stream = new ResilientStream({
    url: feed.url, topics: ['a'], subscribe: ({ topics }) => ({ op: 'subscribe', topics }), topicOf: (m) => m.topic,
    isData: (m) => m.seq !== undefined, sequence: mode === 'rotate' ? (m) => m.seq : undefined,
    rotate: mode === 'rotate' ? { maxAgeMs: 150, overlapMs: 5_000 } : false, staleAfterMs: false, heartbeat: false,
  });
  stream.on('error', () => {});
  stream.on('message', (m) => {
    if (m.seq === undefined) return;
    arrivals.push(performance.now());
    if (last !== undefined && m.seq > last + 1) lost += m.seq - last - 1;
    if (last !== undefined && m.seq <= last) doubled++;
    last = Math.max(last ?? m.seq, m.seq);
  });
  stream.on('rotated', (event) => {
    switches.push(performance.now());
    dropped += event.duplicatesDropped;
    if (event.gapless) gapless++;
  });
  stream.start();
  await stream.waitFor('open', { timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  if (mode === 'reconnect') {
    for (let i = 0; i < config.rotations; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      stream.reconnect();
      switches.push(performance.now());
      await stream.waitFor('open', { timeoutMs: 5_000 });
    }
  } else {
    while (switches.length < config.rotations) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  await stream.close();
  await feed.close();
  const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]);
  const around = switches.map((at) => {
    let worst = 0;
    for (let i = 1; i < arrivals.length; i++) {
      if (arrivals[i] >= at - WINDOW_MS && arrivals[i - 1] <= at + WINDOW_MS) worst = Math.max(worst, arrivals[i] - arrivals[i - 1]);
    }
    return worst;
  });
  return {
    mode, switches: switches.length, delivered: arrivals.length, lost, doubled, duplicatesDropped: dropped, gapless,
    gapP50: quantile(gaps, 0.5), gapP99: quantile(gaps, 0.99), aroundP50: quantile(around, 0.5), aroundP99: quantile(around, 0.99),
    aroundMax: Math.max(...around),
  };
}

function render(result) {
  const { config, runs } = result;
  const rows = runs.map((r) => [
    r.mode === 'rotate' ? '`rotate` (make-before-break, `sequence`)' : '`reconnect()` (break-before-make)',
    `${r.switches}`, `${r.delivered}`, `**${r.lost}**`, `**${r.doubled}**`, r.mode === 'rotate' ? `${r.duplicatesDropped}` : '–',
    r.mode === 'rotate' ? `${r.gapless} / ${r.switches}` : '–',
    `${fmt(r.gapP50, 1)} / ${fmt(r.gapP99, 1)} ms`,
    `${fmt(r.aroundP50, 1)} / ${fmt(r.aroundP99, 1)} / ${fmt(r.aroundMax, 1)} ms (${fmt(r.aroundMax / r.gapP99, 2)}x)`,
  ]);
  const rotate = runs.find((r) => r.mode === 'rotate');
  return [
    `${commandLine(result, 'bench:rotation')}. In-process: the feed server and the stream share one Node process. Run ${result.startedAt}, ${fmt(result.durationS)} s.`,
    '',
    `One topic at ${config.rate} messages per second (the feed server publishes in timer ticks, so deliveries come in small bursts: the run's own p99 gap is the feed's real interval); ${config.rotations} switches per mode. Lost and doubled are counted from the delivered sequence numbers; the pause around a switch is the longest gap between two deliveries that overlaps ±${WINDOW_MS} ms of it.`,
    '',
    table(['Mode', 'Switches', 'Delivered', 'Lost', 'Delivered twice', 'Duplicates dropped', 'Gapless', 'Gap between deliveries p50 / p99 (whole run)', 'Longest pause around a switch p50 / p99 / max (max ÷ the run\'s p99 gap)'], rows),
    '',
    `- Target "0 messages lost or duplicated across ${config.rotations} rotations": **${rotate !== undefined && rotate.lost === 0 && rotate.doubled === 0 ? 'met' : 'missed'}**.`,
  ].join('\n');
}

const args = parseArgs();
if (!renderOnly(args, { rotation: render })) {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  await ensureBuild();
  const config = { rotations: Number(args.rotations ?? 100), rate: Number(args.rate ?? 200) };
  const runs = [await run('rotate', config), await run('reconnect', config)];
  const result = { ...resultHeader('rotation', 'rotation.mjs', startedAt, t0), config, runs };
  result.markdown = render(result);
  console.log(result.markdown);
  saveResult('rotation', result);
  console.log(`docs: ${renderDocs()}`);
}
