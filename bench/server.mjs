// The benchmark server. Always runs in its own process (forked by the benchmark), bound to
// 127.0.0.1, and stops by itself: after `maxLifetimeMs`, after `maxConnections` handshakes, or
// when its parent goes away. Modes:
//   throughput  pushes `n` pre-framed trade ticks per connection as fast as the client takes them
//   idle        accepts connections and does nothing (counts protocol pings it receives)
//   detect      sends a small data message every `intervalMs`; the client asks in-band for a fault:
//               "stall" stops data but keeps answering pings, "freeze" pauses the TCP socket
//   herd        records the time of every completed handshake (for the reconnect herd)
import { WebSocketServer } from 'ws';
import { childConfig, guardChild } from './lib/proc.mjs';
import { buildBatch, stampIds, FIRST_TRADE_ID } from './lib/ticks.mjs';

const config = childConfig();
guardChild(config.maxLifetimeMs ?? 120_000);
const now = () => performance.timeOrigin + performance.now();

const stats = { connections: 0, open: 0, pings: 0, acceptedAt: [], messagesSent: 0, cpuMicros: 0 };
const BATCH = 512;
const IN_FLIGHT = 4;
const batch = config.mode === 'throughput' ? buildBatch(BATCH) : undefined;

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: config.port ?? 0,
  backlog: config.backlog ?? 511,
  perMessageDeflate: false,
  clientTracking: true,
});

server.on('listening', () => {
  process.send({ type: 'ready', port: server.address().port, listenAt: now(), pid: process.pid });
});
server.on('error', (error) => {
  process.stderr.write(`[bench server] ${error.message}\n`);
  process.exit(2);
});

server.on('connection', (ws, request) => {
  stats.connections++;
  stats.open++;
  if (config.mode === 'herd') stats.acceptedAt.push(now());
  ws.on('close', () => stats.open--);
  ws.on('error', () => {});
  ws.on('ping', () => stats.pings++);
  if (stats.connections >= (config.maxConnections ?? Infinity)) server.close();
  const query = new URL(request.url ?? '/', 'http://x').searchParams;
  if (config.mode === 'throughput') pump(ws, Number(query.get('n')));
  else if (config.mode === 'detect') feed(ws);
});

/**
 * Writes `total` ticks straight to the TCP socket in batches of 512 frames (~64 KiB), at most four
 * batches in flight: a batch buffer is reused only after the socket's write callback says it was
 * handed to the kernel, so memory stays bounded however slow the client is (backpressure).
 */
function pump(ws, total) {
  const socket = ws._socket;
  const ring = Array.from({ length: IN_FLIGHT }, () => Buffer.from(batch.template));
  let slot = 0;
  let sent = 0;
  let inFlight = 0;
  let nextId = FIRST_TRADE_ID;
  const cpuStart = process.cpuUsage();
  const loop = () => {
    while (inFlight < IN_FLIGHT && sent < total && ws.readyState === ws.OPEN) {
      const count = Math.min(BATCH, total - sent);
      const buffer = ring[slot];
      slot = (slot + 1) % IN_FLIGHT;
      stampIds(buffer, batch.idOffsets, nextId, count);
      nextId += count;
      sent += count;
      inFlight++;
      socket.write(count === BATCH ? buffer : buffer.subarray(0, batch.frameEnds[count - 1]), onWritten);
    }
    if (sent >= total && inFlight === 0) {
      const cpu = process.cpuUsage(cpuStart);
      stats.cpuMicros += cpu.user + cpu.system;
      stats.messagesSent += sent;
    }
  };
  const onWritten = () => {
    inFlight--;
    loop();
  };
  loop();
}

/** Detection feed: one small data message every `intervalMs` until the client asks for a fault. */
function feed(ws) {
  let seq = 0;
  const timer = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.send(`{"topic":"t","seq":${++seq},"ts":${Date.now()},"data":{"p":"1.0"}}`);
  }, config.intervalMs ?? 50);
  let holdTimer;
  ws.on('close', () => {
    clearInterval(timer);
    clearTimeout(holdTimer);
  });
  ws.on('message', (data) => {
    const command = data.toString();
    if (command !== 'stall' && command !== 'freeze') return;
    clearInterval(timer);
    if (command === 'freeze') {
      // Half-open: nothing is read (pings go unanswered) and nothing is written.
      ws._socket.pause();
      // Keep the dead socket only as long as a trial can last, then release the descriptor.
      holdTimer = setTimeout(() => ws._socket.destroy(), config.freezeHoldMs ?? 15_000);
    }
  });
}

process.on('message', (message) => {
  if (message.type === 'stats') {
    process.send({ type: 'stats:done', ...stats, acceptedAt: message.withTimes ? stats.acceptedAt : undefined, cpu: process.cpuUsage() });
  } else if (message.type === 'reset') {
    Object.assign(stats, { pings: 0, acceptedAt: [], messagesSent: 0, cpuMicros: 0 });
    process.send({ type: 'reset:done' });
  } else if (message.type === 'stop') {
    for (const client of server.clients) client.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  }
});
