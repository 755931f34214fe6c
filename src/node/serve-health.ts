import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthReport, type HealthJudgement, type HealthSource } from './health-report.js';
import { PROMETHEUS_CONTENT_TYPE, toPrometheus } from './prometheus.js';
import { describe } from '../errors.js';
import { check, checkOptions } from './check-options.js';

/** Options of {@link serveHealth}. */
export interface ServeHealthOptions extends HealthJudgement {
  /** TCP port; `0` lets the OS pick a free one (read it back from the result). @default 0 */
  readonly port?: number;
  /** Interface to bind. Keep loopback unless a monitor on another machine must reach it. @default '127.0.0.1' */
  readonly host?: string;
}

/** A running health server. */
export interface HealthServer {
  /** Base URL, e.g. `http://127.0.0.1:43123`; append `/health` or `/metrics`. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** Stops listening and ends open connections. Idempotent. */
  close(): Promise<void>;
}

/** The name a single stream gets in the report and the `stream` label. */
export const DEFAULT_STREAM_NAME = 'default';

const ROUTES = new Set(['/health', '/metrics']);

/**
 * Serves the health of one or more streams over HTTP (node:http), for uptime monitors and
 * Prometheus:
 * - `GET /health`: JSON ({@link HealthReport}) with HTTP 200 when every stream is open and not
 *   stale, else 503, so a plain HTTP check alerts on it;
 * - `GET /metrics`: the Prometheus text format ({@link toPrometheus}).
 *
 * Health is read from `stream.health()` on every request; nothing is cached or polled.
 * @param streams - one stream (reported as `default`) or streams by name.
 * @throws TypeError for a bad stream map or option, naming it; rejects when the port cannot be bound.
 */
export async function serveHealth(streams: HealthSource | Readonly<Record<string, HealthSource>>, options: ServeHealthOptions = {}): Promise<HealthServer> {
  const sources = normaliseStreams(streams);
  checkOptions('options', options, ['port', 'host', 'staleAfterSeconds']);
  const { port = 0, host = '127.0.0.1', staleAfterSeconds } = options;
  check('port', port, Number.isInteger(port) && port >= 0 && port <= 65_535, 'an integer from 0 to 65535');
  check('host', host, typeof host === 'string' && host.length > 0, 'a non-empty string');
  check('staleAfterSeconds', staleAfterSeconds, staleAfterSeconds === undefined || (Number.isFinite(staleAfterSeconds) && staleAfterSeconds > 0), 'a finite number > 0');
  const judgement: HealthJudgement = staleAfterSeconds === undefined ? {} : { staleAfterSeconds };
  const server = createServer((req, res) => respond(req, res, sources, judgement));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from monitors would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function respond(req: IncomingMessage, res: ServerResponse, sources: ReadonlyMap<string, HealthSource>, judgement: HealthJudgement): void {
  const path = pathOf(req.url);
  // A target the URL parser refuses (`//`, `//[`) would throw out of the request listener and crash the host.
  if (path === undefined) return send(res, 400, 'application/json', JSON.stringify({ error: `Expected a request target such as /health or /metrics, got ${JSON.stringify(req.url)}.` }));
  if (!ROUTES.has(path)) return send(res, 404, 'application/json', JSON.stringify({ error: `No route for ${path}; try /health or /metrics.` }));
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'application/json', JSON.stringify({ error: `Expected GET or HEAD, got ${req.method ?? '?'}.` }));
  }
  let status: number;
  let contentType: string;
  let body: string;
  try {
    const snapshots = Object.fromEntries([...sources].map(([name, source]) => [name, source.health()]));
    if (path === '/metrics') [status, contentType, body] = [200, PROMETHEUS_CONTENT_TYPE, toPrometheus(snapshots, judgement)];
    else {
      const report = healthReport(snapshots, judgement);
      [status, contentType, body] = [report.ok ? 200 : 503, 'application/json', JSON.stringify(report, null, 2)];
    }
  } catch (error) {
    // health() threw, or gave a snapshot that cannot be rendered: answer, never throw out of the listener.
    return send(res, 500, 'application/json', JSON.stringify({ error: `Expected health() to give a health snapshot, but reading it threw: ${describe(error)}` }));
  }
  send(res, status, contentType, body, req.method === 'HEAD');
}

/** The path of a request target, or undefined when it cannot be parsed. */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(headOnly ? undefined : body);
}

function normaliseStreams(streams: HealthSource | Readonly<Record<string, HealthSource>>): ReadonlyMap<string, HealthSource> {
  if (isSource(streams)) return new Map([[DEFAULT_STREAM_NAME, streams]]);
  const entries = typeof streams === 'object' && streams !== null ? Object.entries(streams) : [];
  const ok = entries.length > 0 && entries.every(([name, source]) => name !== '' && isSource(source));
  check('streams', streams, ok, 'a stream, or an object of streams by non-empty name (at least one)');
  return new Map(entries);
}

function isSource(value: unknown): value is HealthSource {
  return typeof value === 'object' && value !== null && typeof (value as { health?: unknown }).health === 'function';
}
