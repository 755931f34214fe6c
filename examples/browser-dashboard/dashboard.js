// The dashboard page: one ResilientStream from the browser build, watched live. Everything on
// screen comes from the stream's events and health(); the buttons only talk to the feed server.
import { ResilientStream } from '/dist/browser/index.js';

/** What the screen shows, in ms. */
const WINDOW_MS = 60_000;
const TICK_MS = 250;
const LOG_LIMIT = 150;
/** A resync here asks the feed for its position; this pause stands in for a REST snapshot's trip. */
const SNAPSHOT_LATENCY_MS = 300;
const TOPICS = ['btc-usd', 'eth-usd'];

/** Tuned so every recovery is watchable in seconds (production defaults are 10x longer). */
const OPTIONS = {
  staleAfterMs: 4_000,
  heartbeat: { intervalMs: 1_000, timeoutMs: 1_500 },
  backoff: { initialDelayMs: 250, maxDelayMs: 4_000 },
  storm: { maxReconnects: 3, windowMs: 15_000 },
};

/**
 * The buttons: feed-server control actions (POST /control/<action>) with their JSON bodies.
 * Flap and refusals only touch new connections, so those buttons also drop the current one.
 */
const FAULTS = [
  { group: 'Data', items: [
    { id: 'stall', label: 'Stall', steps: [['stall']], hint: 'Data stops; the socket stays up and still answers pings. Only staleness can see it.' },
    { id: 'resume', label: 'Resume', steps: [['resume']], hint: 'Data flows again from the current sequence.' },
    { id: 'gap', label: 'Gap', steps: [['gap', { count: 5 }]], hint: 'Skip 5 sequence numbers: gap, then resync.' },
  ] },
  { group: 'Socket', items: [
    { id: 'freeze', label: 'Freeze', steps: [['freeze']], hint: 'Half-open: nothing in, no pongs, no close. Heartbeat timeout.' },
    { id: 'drop', label: 'Drop', steps: [['drop']], hint: 'Abrupt drop without a close frame (1006).' },
    { id: 'close-1011', label: 'Close 1011', steps: [['closeAll', { code: 1011, reason: 'internal error' }]], hint: 'Server error close frame.' },
  ] },
  { group: 'Storm', items: [
    { id: 'flap', label: 'Flap ×8', steps: [['flap', { openMs: 400, count: 8 }], ['drop']], hint: 'Drop now, then the next 8 connections die 400 ms after opening.' },
    { id: 'reject', label: 'Reject ×6', steps: [['rejectHandshakes', { status: 503, count: 6 }], ['drop']], hint: 'Drop now, then refuse the next 6 handshakes with HTTP 503.' },
    { id: 'clear', label: 'Clear all', steps: [['clear']], hint: 'Remove every fault.', quiet: true },
  ] },
];

const $ = (id) => document.getElementById(id);
/** Text from the wire (close reasons, topics) must never become markup. */
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const seconds = (ms) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
const clock = (t) => new Date(t).toLocaleTimeString([], { hour12: false }) + `.${String(Math.floor(t % 1000)).padStart(3, '0')}`;

const view = {
  segments: [{ state: 'idle', at: Date.now() }],
  markers: [],
  rates: [],
  arrivals: 0,
  storms: 0,
  stales: 0,
};

// ── the stream ─────────────────────────────────────────────────────────────────────────────────

function abortableSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

function createStream(config) {
  let nextId = 1;
  return new ResilientStream({
    url: config.feedUrl,
    topics: TOPICS,
    subscribe: ({ topics }) => ({ op: 'subscribe', topics, id: nextId++ }),
    unsubscribe: ({ topics }) => ({ op: 'unsubscribe', topics, id: nextId++ }),
    isData: (message) => typeof message.topic === 'string',
    topicOf: (message) => message.topic,
    sequence: (message) => message.seq,
    // The JSON feed has no REST snapshot, but its control state knows each topic's position:
    // exactly the sequence a snapshot taken now would carry.
    resync: async ({ topics, signal }) => {
      await abortableSleep(SNAPSHOT_LATENCY_MS, signal);
      const state = await (await fetch(`${config.controlUrl}/control/state`, { signal })).json();
      return { sequences: Object.fromEntries(topics.map((topic) => [topic, state.topics[topic]?.position ?? 0])) };
    },
    ...OPTIONS,
    heartbeat: { ...OPTIONS.heartbeat, ping: () => ({ op: 'ping', id: nextId++ }), isPong: (message) => message.op === 'pong' },
  });
}

function watch(stream) {
  stream.on('state', ({ from, to, reason }) => {
    view.segments.push({ state: to, at: Date.now() });
    log('state', `${from} → <b>${to}</b>`, reason, to);
  });
  stream.on('open', ({ attempt, isReconnect }) => log('open', isReconnect ? `reconnected on attempt ${attempt}` : 'connected'));
  stream.on('close', ({ code, reason, willReconnect }) => log('close', `closed <b>${code}</b>${reason ? ` ${escape(reason)}` : ''}`, willReconnect ? 'will reconnect' : 'final'));
  stream.on('reconnecting', ({ attempt, delayMs, reason }) => log('reconnecting', `retry #${attempt} in <b>${Math.round(delayMs)} ms</b>`, reason));
  stream.on('stale', ({ kind, topic, silentForMs, thresholdMs }) => {
    view.stales++;
    mark('stale');
    log('stale', `<b>stale ${kind}</b>${topic ? ` ${escape(topic)}` : ''}: silent ${seconds(silentForMs)}`, `threshold ${seconds(thresholdMs)}`);
  });
  stream.on('gap', ({ expected, received, topic }) => {
    mark('gap');
    log('gap', `<b>gap</b> on ${escape(topic)}: expected ${expected}, got ${received}`);
  });
  stream.on('resyncing', ({ reason }) => log('resync', `resyncing (${reason})`));
  stream.on('resynced', ({ reason, durationMs, replayed, dropped }) => log('resync', `resynced (${reason}) in ${Math.round(durationMs)} ms`, `replayed ${replayed}, dropped ${dropped}`));
  stream.on('storm', ({ reconnects, windowMs }) => {
    view.storms++;
    mark('storm');
    log('storm', `<b>reconnect storm</b>: ${reconnects} reconnects in ${seconds(windowMs)}`);
  });
  stream.on('stormEnd', ({ durationMs }) => log('storm', `storm over after ${seconds(durationMs)}`));
  stream.on('error', (error) => log('error', `<b>${escape(error.code)}</b>`, error.message));
  stream.on('message', () => {
    view.arrivals++;
  });
}

// ── faults ─────────────────────────────────────────────────────────────────────────────────────

async function inject(config, fault) {
  log('fault', `you: <b>${fault.label.toLowerCase()}</b>`, fault.hint);
  for (const [action, body = {}] of fault.steps) {
    try {
      const response = await fetch(`${config.controlUrl}/control/${action}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      if (!answer.ok) log('error', `the feed refused ${action}`, answer.error);
    } catch (error) {
      log('error', "could not reach the feed's control surface", String(error));
      return;
    }
  }
}

function renderButtons(config) {
  const root = $('fault-groups');
  for (const { group, items } of FAULTS) {
    const section = document.createElement('div');
    section.className = 'fault-group';
    section.innerHTML = `<h3>${group}</h3>`;
    for (const fault of items) {
      const row = document.createElement('div');
      row.className = 'fault';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = fault.label;
      button.dataset.fault = fault.id;
      if (fault.quiet) button.classList.add('quiet');
      button.addEventListener('click', () => void inject(config, fault));
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = fault.hint;
      row.append(button, hint);
      section.append(row);
    }
    root.append(section);
  }
  const o = OPTIONS;
  $('options-note').textContent = `staleAfterMs ${o.staleAfterMs} · heartbeat ${o.heartbeat.intervalMs}+${o.heartbeat.timeoutMs} ms (app ping) · `
    + `backoff ${o.backoff.initialDelayMs}→${o.backoff.maxDelayMs} ms · storm >${o.storm.maxReconnects} in ${o.storm.windowMs / 1000} s`;
}

// ── rendering ──────────────────────────────────────────────────────────────────────────────────

function log(kind, html, detail = '', state = undefined) {
  const item = document.createElement('li');
  item.className = `log-item log-${kind}`;
  if (state !== undefined) item.dataset.state = state;
  item.innerHTML = `<time>${clock(Date.now())}</time><span class="kind">${kind}</span><span class="text">${html}</span>`;
  if (detail) {
    const small = document.createElement('span');
    small.className = 'detail';
    small.textContent = detail;
    item.querySelector('.text').append(small);
  }
  const list = $('log');
  list.prepend(item);
  while (list.children.length > LOG_LIMIT) list.lastElementChild.remove();
}

function mark(kind) {
  view.markers.push({ kind, at: Date.now() });
}

function renderTimeline(now) {
  const start = now - WINDOW_MS;
  const pieces = [];
  view.segments.forEach((segment, i) => {
    const end = view.segments[i + 1]?.at ?? now;
    if (end <= start) return;
    const left = ((Math.max(segment.at, start) - start) / WINDOW_MS) * 100;
    const width = ((end - Math.max(segment.at, start)) / WINDOW_MS) * 100;
    pieces.push(`<div class="seg" data-state="${segment.state}" style="left:${left}%;width:${width}%" title="${segment.state}"></div>`);
  });
  for (const marker of view.markers) {
    if (marker.at < start) continue;
    pieces.push(`<div class="marker" data-marker="${marker.kind}" style="left:${((marker.at - start) / WINDOW_MS) * 100}%" title="${marker.kind}"></div>`);
  }
  $('timeline').innerHTML = pieces.join('');
  // Forget what has scrolled out, keeping the segment that is still on screen at the left edge.
  while (view.segments.length > 1 && view.segments[1].at <= start) view.segments.shift();
  view.markers = view.markers.filter((marker) => marker.at >= start);
}

function renderSparkline(expected) {
  const points = view.rates;
  const max = Math.max(expected * 1.25, ...points) || 1;
  const step = 240 / (WINDOW_MS / TICK_MS - 1);
  const offset = 240 - (points.length - 1) * step;
  const coords = points.map((rate, i) => `${(offset + i * step).toFixed(1)},${(46 - (rate / max) * 42).toFixed(1)}`);
  if (coords.length < 2) return;
  $('spark-line').setAttribute('d', `M${coords.join(' L')}`);
  $('spark-area').setAttribute('d', `M${offset.toFixed(1)},48 L${coords.join(' L')} L240,48 Z`);
}

function renderHealth(stream, now) {
  const health = stream.health();
  const segment = view.segments[view.segments.length - 1];
  $('state-pill').dataset.state = health.state;
  $('state-label').textContent = health.state;
  $('state-for').textContent = `for ${seconds(now - segment.at)}`;

  const threshold = health.staleThresholdMs ?? OPTIONS.staleAfterMs;
  const age = health.lastMessageAgeMs;
  const fraction = age === null ? 0 : Math.min(1, age / threshold);
  $('age-value').textContent = age === null ? '–' : seconds(age);
  $('age-threshold').textContent = seconds(threshold);
  const bar = $('age-bar');
  bar.style.width = `${(fraction * 100).toFixed(1)}%`;
  bar.dataset.level = fraction < 0.5 ? 'ok' : fraction < 0.85 ? 'warn' : 'bad';
  $('stale-count').textContent = view.stales;

  $('reconnect-count').textContent = health.reconnects;
  $('attempt-value').textContent = health.attempt;
  $('storm-count').textContent = view.storms;
  $('storm-chip').dataset.active = String(health.storm);
  $('received-count').textContent = health.messagesReceived.toLocaleString();
  $('gap-count').textContent = health.gaps;
  $('resync-count').textContent = health.resyncs;
  $('uptime').textContent = health.connectedSince === null ? 'down' : seconds(now - health.connectedSince);
}

function tick(expected) {
  view.rates.push(view.arrivals * (1000 / TICK_MS));
  view.arrivals = 0;
  if (view.rates.length > WINDOW_MS / TICK_MS) view.rates.shift();
  // One tick is noisy: show the mean of the last second.
  const recent = view.rates.slice(-1000 / TICK_MS);
  $('rate-value').textContent = Math.round(recent.reduce((sum, rate) => sum + rate, 0) / recent.length);
  renderSparkline(expected);
}

/** Redraws at most every 50 ms: smooth enough for a 60 s strip, cheap enough to leave open. */
function frame(stream, last = 0) {
  const now = Date.now();
  if (now - last >= 50) {
    renderHealth(stream, now);
    renderTimeline(now);
    last = now;
  }
  requestAnimationFrame(() => frame(stream, last));
}

async function main() {
  const config = await (await fetch('/config.json')).json();
  const expected = config.messagesPerSecond * TOPICS.length;
  $('feed-url').textContent = config.feedUrl;
  $('rate-expected').textContent = expected;
  renderButtons(config);
  const stream = createStream(config);
  watch(stream);
  // Exposed for the browser tests and for poking at it from the console.
  window.dashboard = { stream, view };
  stream.start();
  setInterval(() => tick(expected), TICK_MS);
  frame(stream);
}

main().catch((error) => log('error', 'the dashboard could not start', String(error)));
