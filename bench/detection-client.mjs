// Benchmark 4 for one contender in a fresh process: `trials` connections at once, each receiving a
// data message every 50 ms; after 10 messages each asks the server in-band for its fault ("stall"
// or "freeze") and waits for the contender to notice (ResilientStream: `stale`; the others: any
// close or error), at most `boundMs`. Latency is measured in this process alone, from the arrival
// of the last data message to the detection event.
import { childConfig, guardChild, sendResult } from './lib/proc.mjs';
import { loadContender } from './lib/contenders.mjs';

const { contender, url, faults, options, boundMs, maxLifetimeMs } = childConfig();
guardChild(maxLifetimeMs);
const open = await loadContender(contender);
const WARM_MESSAGES = 10;

function trial(fault, index) {
  return new Promise((resolve) => {
    let lastDataAt = 0;
    let received = 0;
    let faultAt;
    let settled = false;
    let bound;
    let handle;
    const settle = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      // Close outside the emitting call stack; the stream would otherwise reconnect.
      setImmediate(() => handle.close().then(() => resolve({ fault, index, ...outcome }), () => resolve({ fault, index, ...outcome })));
    };
    const detect = (how, event) => {
      if (faultAt === undefined) return;
      settle({ detected: true, how, latencyMs: performance.now() - lastDataAt, reported: event });
    };
    handle = open(`${url}?trial=${fault}-${index}`, {
      options,
      onMessage: () => {
        lastDataAt = performance.now();
        if (++received === WARM_MESSAGES) {
          handle.send(fault);
          faultAt = lastDataAt;
          bound = setTimeout(() => settle({ detected: false, waitedMs: performance.now() - lastDataAt }), boundMs);
        }
      },
      onStale: (event) => detect(`stale:${event.kind}`, { kind: event.kind, silentForMs: event.silentForMs, thresholdMs: event.thresholdMs }),
      onDown: (why) => detect(why),
    });
  });
}

const trials = faults.flatMap(({ fault, count }) => Array.from({ length: count }, (_, i) => trial(fault, i)));
sendResult({ contender, trials: await Promise.all(trials) });
