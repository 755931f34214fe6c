import { ResilientStream } from '../index.js';
import { runSession, sessionOptions, takeCount, type SessionFlags } from './session.js';
import { formatStatus, StatusLine } from './status-line.js';
import { withVenueStream } from './venue.js';
import type { VenueName } from '../venues/index.js';

/** Flags of `tail`. */
export interface TailFlags extends SessionFlags {
  /** NDJSON on stdout: every message and every event, one JSON object a line. */
  readonly json?: boolean;
  /** A venue preset (`resilient-stream/venues`) instead of `--subscribe`; needs `topics`. */
  readonly venue?: VenueName;
  /** The venue's symbols, comma-separated. */
  readonly topics?: string;
}

/** The events `tail` reports, in the order a session sees them. */
const EVENTS = ['state', 'open', 'resyncing', 'resynced', 'gap', 'stale', 'close', 'reconnecting', 'storm', 'stormEnd', 'error'] as const;
const STATUS_INTERVAL_MS = 250;

/** Where `tail` writes; process.stdout and process.stderr, or stand-ins in tests. */
export interface TailOutput {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

/**
 * `resilient-stream tail <url>`: prints every message as one JSON line. With `--json` events are
 * JSON lines on stdout too (`{"type":"stale","at":…,"kind":"data",…}`); without it they are
 * `# …` lines on stderr, and on a terminal a status line is redrawn in place on stderr.
 */
export async function tail(url: string | undefined, flags: TailFlags, output: TailOutput = process): Promise<number> {
  if (flags.venue === undefined) return watch(new ResilientStream<unknown, unknown>(sessionOptions(url!, flags)), flags, output);
  const topics = (flags.topics ?? '').split(',').map((topic) => topic.trim()).filter((topic) => topic !== '');
  const choice = { venue: flags.venue, topics, ...(url === undefined ? {} : { url }), ...(flags.stale === undefined ? {} : { stale: flags.stale }) };
  return withVenueStream(choice, (stream) => watch(stream, flags, output));
}

async function watch<In, Out>(stream: ResilientStream<In, Out>, flags: TailFlags, output: TailOutput): Promise<number> {
  const status = !flags.json && output.stderr.isTTY === true ? new StatusLine(output.stderr) : undefined;
  const print = (text: string, to: TailOutput['stdout']): void => {
    // Only output that lands on the terminal has to make room for the status line.
    const shared = status !== undefined && to.isTTY === true;
    if (shared) status.clear();
    to.write(`${text}\n`);
    if (shared) status.redraw();
  };
  const take = takeCount(flags);
  stream.on('message', (message) => {
    if (take()) print(flags.json ? JSON.stringify({ type: 'message', at: Date.now(), data: message }) : JSON.stringify(message), output.stdout);
  });
  for (const event of EVENTS) {
    stream.on(event, (payload: unknown) => {
      if (flags.json) print(JSON.stringify({ type: event, at: Date.now(), ...describeEvent(payload) }), output.stdout);
      else if (event !== 'state') print(`# ${event} ${JSON.stringify(describeEvent(payload))}`, output.stderr);
    });
  }
  const timer = status === undefined ? undefined : startStatus(stream, status);
  const code = await runSession(stream, flags);
  clearInterval(timer);
  status?.stop();
  return code;
}

function startStatus<In, Out>(stream: ResilientStream<In, Out>, status: StatusLine): ReturnType<typeof setInterval> {
  let lastCount = 0;
  let lastAt = Date.now();
  return setInterval(() => {
    const health = stream.health();
    const now = Date.now();
    const messagesPerSecond = ((health.messagesReceived - lastCount) * 1000) / Math.max(1, now - lastAt);
    lastCount = health.messagesReceived;
    lastAt = now;
    status.draw(formatStatus({ health, messagesPerSecond }));
  }, STATUS_INTERVAL_MS);
}

/** An event payload as plain JSON fields; an error becomes its code and message. */
function describeEvent(payload: unknown): Record<string, unknown> {
  if (payload instanceof Error) return { code: 'code' in payload ? payload.code : undefined, message: payload.message };
  return typeof payload === 'object' && payload !== null ? { ...payload } : {};
}
