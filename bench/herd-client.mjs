// Benchmark 5, client side: `count` clients of one contender in one process. Reports 'connected'
// once all are open, then 'recovered' once every client has opened a second time (after the
// server was killed and restarted), with each client's reconnect delays where the library tells.
import { childConfig, guardChild, sendResult } from './lib/proc.mjs';
import { loadContender } from './lib/contenders.mjs';

const { contender, url, count, options, maxLifetimeMs } = childConfig();
guardChild(maxLifetimeMs);
const open = await loadContender(contender);
const now = () => performance.timeOrigin + performance.now();

const clients = [];
let firstOpens = 0;
let reopens = 0;
let connectedSent = false;

function addClient(index) {
  const client = { index, opens: 0, reopenAt: undefined, outageAt: undefined, waits: [] };
  clients.push(client);
  return new Promise((resolve) => {
    const handle = open(`${url}?client=${index}`, {
      options,
      onOpen: () => {
        client.opens++;
        if (client.opens === 1) {
          firstOpens++;
          resolve();
        } else if (client.opens === 2) {
          client.reopenAt = now();
          if (++reopens === count) process.send({ type: 'recovered' });
        }
      },
    });
    // ResilientStream announces every wait: attempt number and the drawn delay. Its outage starts
    // with attempt 1, so the time since then is what bounds that wait's cap.
    if (contender.startsWith('rs')) {
      handle.raw.on('reconnecting', (e) => {
        if (e.attempt === 1) client.outageAt = now();
        client.waits.push([e.attempt, Math.round(e.delayMs), Math.round(now() - (client.outageAt ?? now()))]);
      });
    }
  });
}

// Open in batches so the initial connect does not itself overflow the server's accept backlog.
for (let i = 0; i < count; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => addClient(i + j)));
}
if (firstOpens === count && !connectedSent) {
  connectedSent = true;
  process.send({ type: 'connected' });
}

process.on('message', (message) => {
  if (message.type !== 'finish') return;
  sendResult({
    contender,
    reopened: reopens,
    // The wait that ended in the successful reconnect, per client: [attempt, delayMs, outageMs].
    finalWaits: clients.filter((c) => c.reopenAt !== undefined && c.waits.length > 0).map((c) => c.waits.at(-1)),
    maxAttempts: clients.reduce((max, c) => Math.max(max, c.waits.at(-1)?.[0] ?? 0), 0),
    clientReopenAt: clients.map((c) => c.reopenAt ?? null),
  });
});
