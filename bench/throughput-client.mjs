// One throughput run of one contender, in a fresh process: receive `warmup + measure` trade ticks,
// JSON-parse each through the contender's normal message path, and time the last `measure` of them
// (wall clock and this process's CPU). Trade ids must arrive contiguous, or the run is invalid.
import { childConfig, guardChild, sendResult } from './lib/proc.mjs';
import { loadContender } from './lib/contenders.mjs';

const { contender, url, warmup, measure, maxLifetimeMs } = childConfig();
guardChild(maxLifetimeMs);
const open = await loadContender(contender);
const total = warmup + measure;

let count = 0;
let lastId = 0;
let firstId = 0;
let startedAt = 0;
let cpuStart;
let handle;

function onMessage(message) {
  count++;
  lastId = message.t;
  if (count === warmup) {
    firstId = lastId;
    startedAt = performance.now();
    cpuStart = process.cpuUsage();
  } else if (count === total) {
    finish();
  }
}

function finish() {
  const elapsedMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuStart);
  const health = contender.startsWith('rs') ? handle.raw.health() : undefined;
  sendResult({
    contender,
    messages: measure,
    elapsedMs,
    messagesPerSecond: (measure / elapsedMs) * 1000,
    cpuMicrosPerMessage: (cpu.user + cpu.system) / measure,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    contiguous: lastId - firstId === measure,
    gaps: health?.gaps,
    duplicates: health?.duplicates,
  });
}

handle = open(url, { onMessage });
