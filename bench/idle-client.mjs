// Benchmarks 3 + 6 for one contender in a fresh process: open `count` idle connections, then
//   memory: heap / external / RSS growth per connection after global.gc() (needs --expose-gc)
//   timers: timers armed per second and event-loop utilisation over `windowMs` of idleness.
// Timers are counted by wrapping setTimeout/setInterval before any library is loaded.
import { childConfig, guardChild, sendResult, sleep } from './lib/proc.mjs';

const armed = { setTimeout: 0, setInterval: 0 };
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
globalThis.setTimeout = function countedSetTimeout(...args) {
  armed.setTimeout++;
  return realSetTimeout(...args);
};
globalThis.setInterval = function countedSetInterval(...args) {
  armed.setInterval++;
  return realSetInterval(...args);
};

const { contender, url, count, batchSize, windowMs, maxLifetimeMs } = childConfig();
guardChild(maxLifetimeMs);
const { loadContender } = await import('./lib/contenders.mjs');
const open = await loadContender(contender);

function collect() {
  global.gc();
  global.gc();
  return process.memoryUsage();
}

let downs = 0;
const handles = [];
const before = collect();
const connectStart = performance.now();
for (let i = 0; i < count; i += batchSize) {
  const opened = [];
  for (let j = i; j < Math.min(count, i + batchSize); j++) {
    opened.push(new Promise((resolve) => {
      let isOpen = false;
      handles.push(open(url, {
        onOpen: () => { if (!isOpen) { isOpen = true; resolve(); } },
        onDown: () => { downs++; },
      }));
    }));
  }
  await Promise.all(opened);
}
const connectMs = performance.now() - connectStart;
await sleep(500);
const after = collect();
const memory = {};
for (const key of ['heapUsed', 'external', 'arrayBuffers', 'rss']) memory[key] = (after[key] - before[key]) / count;

let timers;
if (windowMs > 0) {
  const armedBefore = { ...armed };
  const eluStart = performance.eventLoopUtilization();
  const cpuStart = process.cpuUsage();
  await sleep(windowMs);
  const elu = performance.eventLoopUtilization(eluStart);
  const cpu = process.cpuUsage(cpuStart);
  const seconds = elu.idle / 1000 + elu.active / 1000;
  timers = {
    windowMs,
    setTimeoutPerSecond: (armed.setTimeout - armedBefore.setTimeout) / seconds,
    setIntervalPerSecond: (armed.setInterval - armedBefore.setInterval) / seconds,
    eventLoopUtilization: elu.utilization,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
  };
}
sendResult({ contender, count, connectMs, memory, timers, downs, heapUsedTotal: after.heapUsed, rssTotal: after.rss });
