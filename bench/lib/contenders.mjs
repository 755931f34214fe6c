// The contenders, each behind the same tiny interface so every benchmark drives them identically:
//   open(url, { onMessage, onOpen, onDown, options }) -> { send(text), close(), raw }
// onMessage receives the parsed JSON message: raw ws, reconnecting-websocket and partysocket parse
// in their message listener (what an application would write); ResilientStream decodes JSON itself
// and delivers through its one `message` listener. ResilientStream comes from the current build
// (dist/index.js as copied by ensureBuild() right after `npx tsup`).
import WebSocket from 'ws';

/** Options of the ResilientStream variant with sequence tracking and per-topic staleness on. */
export const SEQUENCE_OPTIONS_TEXT = "sequence: (m) => m.t, topicOf: (m) => m.s, topics: ['BTCUSDT'], topicStaleAfterMs: 30_000";

export const CONTENDERS = Object.freeze({
  ws: { label: 'ws (raw)', short: 'ws' },
  rs: { label: 'ResilientStream (defaults)', short: 'RS' },
  'rs-seq': { label: 'ResilientStream (sequence + topicOf + topicStaleAfterMs)', short: 'RS+seq' },
  'rs-before': { label: `ResilientStream (defaults), before: ${process.env.BENCH_BEFORE ?? 'BENCH_BEFORE'}`, short: 'RS before' },
  rws: { label: 'reconnecting-websocket', short: 'RWS' },
  partysocket: { label: 'partysocket', short: 'partysocket' },
});

const noop = () => {};

/** Loads a contender's library and returns its `open` function. */
export async function loadContender(name) {
  switch (name) {
    case 'ws': return openRaw;
    case 'rs':
    case 'rs-seq': {
      const { ResilientStream } = await import('../.results/dist/index.js');
      const extra = name === 'rs-seq'
        ? { sequence: (m) => m.t, topicOf: (m) => m.s, topics: ['BTCUSDT'], topicStaleAfterMs: 30_000 }
        : {};
      return (url, handlers) => openResilient(ResilientStream, url, { ...extra, ...handlers.options }, handlers);
    }
    case 'rs-before': {
      // Built by bench/lib/before.mjs from the BENCH_BEFORE commit: the same defaults, the older code.
      const { ResilientStream } = await import('../.results/dist-before/index.js');
      return (url, handlers) => openResilient(ResilientStream, url, { ...handlers.options }, handlers);
    }
    case 'rws': {
      const { default: ReconnectingWebSocket } = await import('reconnecting-websocket');
      return (url, handlers) => openReconnecting(ReconnectingWebSocket, url, handlers);
    }
    case 'partysocket': {
      const { WebSocket: PartySocketWebSocket } = await import('partysocket');
      return (url, handlers) => openReconnecting(PartySocketWebSocket, url, handlers);
    }
    default: throw new Error(`Expected a contender in ${Object.keys(CONTENDERS).join(', ')}, got ${name}`);
  }
}

function openRaw(url, { onMessage = noop, onOpen = noop, onDown = noop }) {
  const socket = new WebSocket(url);
  // An explicit toString() is the fastest way from ws's Buffer to JSON; JSON.parse(buffer) converts
  // implicitly (ToPrimitive) and is measurably slower, which would flatter everyone else.
  socket.on('message', (data) => onMessage(JSON.parse(data.toString())));
  socket.on('open', onOpen);
  socket.on('close', () => onDown('close'));
  socket.on('error', noop);
  return {
    raw: socket,
    send: (text) => socket.send(text),
    close: async () => socket.terminate(),
  };
}

function openResilient(ResilientStream, url, options, { onMessage = noop, onOpen = noop, onDown = noop, onStale }) {
  const stream = new ResilientStream({ url, ...options });
  stream.on('message', onMessage);
  stream.on('open', onOpen);
  stream.on('error', noop);
  stream.on('close', () => onDown('close'));
  if (onStale !== undefined) stream.on('stale', onStale);
  stream.start();
  return {
    raw: stream,
    send: (text) => stream.send(text),
    close: () => stream.close(),
  };
}

/** reconnecting-websocket and partysocket share an API (partysocket's WebSocket is a fork of it). */
function openReconnecting(Impl, url, { onMessage = noop, onOpen = noop, onDown = noop, options = {} }) {
  const socket = new Impl(url, [], { WebSocket, ...options });
  socket.addEventListener('message', (event) => onMessage(JSON.parse(event.data)));
  socket.addEventListener('open', onOpen);
  socket.addEventListener('close', () => onDown('close'));
  socket.addEventListener('error', noop);
  return {
    raw: socket,
    send: (text) => socket.send(text),
    close: async () => socket.close(),
  };
}
