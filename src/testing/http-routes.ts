import type { IncomingMessage, ServerResponse } from 'node:http';
import { runControl, UnknownControlAction, type ControlTarget } from './control.js';
import { historyAnswer, type HistoryHost } from './history-routes.js';
import type { BookSnapshot } from './order-book.js';

/** Binance's largest REST depth `limit`; larger values are truncated to it, as Binance does. */
const MAX_DEPTH_LIMIT = 5000;
/** Binance's default REST depth `limit`. */
const DEFAULT_DEPTH_LIMIT = 100;
/** Control bodies are tiny; refuse anything bigger than this many bytes. */
const MAX_BODY_BYTES = 64 * 1024;

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
};

/** What the plain-HTTP side of the server needs. */
export interface HttpHost extends ControlTarget, HistoryHost {
  /** Whether the REST depth snapshot exists (Binance dialects). */
  readonly servesSnapshots: boolean;
  /** Its path: `/api/v3/depth` (spot) or `/fapi/v1/depth` (USDⓈ-M futures). @default '/api/v3/depth' */
  readonly snapshotPath?: string;
  /** The book to serve, read now; `undefined` when the symbol does not exist. */
  snapshot(symbol: string, limit: number): BookSnapshot | undefined;
  /** Milliseconds to hold the snapshot answer back. */
  readonly snapshotDelayMs: number;
  /** Runs `fn` after `delayMs` on a timer the server clears on close. */
  defer(fn: () => void, delayMs: number): void;
  /** Counters and fault state for `GET /control/state`. */
  state(): object;
}

/**
 * Routes plain HTTP requests: the Binance REST snapshot, the history routes backfills read
 * (see {@link historyAnswer}), the control surface for other
 * processes and browser pages (CORS open to any origin), and JSON 404s for the rest.
 */
export function handleHttp(host: HttpHost, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...CORS_HEADERS, 'Access-Control-Max-Age': '600' }).end();
    return;
  }
  if (req.method === 'GET' && url.pathname === (host.snapshotPath ?? '/api/v3/depth') && host.servesSnapshots) {
    serveSnapshot(host, url, res);
    return;
  }
  const history = req.method === 'GET' ? historyAnswer(host, url.pathname, url.searchParams) : undefined;
  if (history !== undefined) {
    sendJson(res, history.status, history.body);
    return;
  }
  if (req.method === 'GET' && url.pathname === '/control/state') {
    sendJson(res, 200, host.state());
    return;
  }
  if (req.method === 'POST' && url.pathname.startsWith('/control/')) {
    readBody(req)
      .then((body) => serveControl(host, decodeURIComponent(url.pathname.slice('/control/'.length)), body, res))
      .catch((error: unknown) => sendJson(res, 400, { ok: false, error: messageOf(error) }));
    return;
  }
  sendJson(res, 404, { ok: false, error: `No route for ${req.method ?? '?'} ${url.pathname}.` });
}

function serveSnapshot(host: HttpHost, url: URL, res: ServerResponse): void {
  const symbol = url.searchParams.get('symbol') ?? '';
  if (!/^[A-Za-z0-9]+$/.test(symbol)) {
    // Binance's own error code and wording for a missing mandatory parameter.
    sendJson(res, 400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
    return;
  }
  const requested = Number(url.searchParams.get('limit') ?? DEFAULT_DEPTH_LIMIT);
  const limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, MAX_DEPTH_LIMIT) : DEFAULT_DEPTH_LIMIT;
  // Read the book when the request arrives; the delay models the trip back, during which the
  // stream moves on, exactly the race the Binance procedure exists for.
  const book = host.snapshot(symbol, limit);
  if (!book) {
    sendJson(res, 400, { code: -1121, msg: 'Invalid symbol.' });
    return;
  }
  if (host.snapshotDelayMs > 0) host.defer(() => sendJson(res, 200, book), host.snapshotDelayMs);
  else sendJson(res, 200, book);
}

function serveControl(host: HttpHost, name: string, body: unknown, res: ServerResponse): void {
  try {
    const outcome = runControl(host, name, body);
    if (outcome.afterResponse) res.once('finish', outcome.afterResponse);
    sendJson(res, 200, { ok: true, action: name, result: outcome.result ?? null, state: host.state() });
  } catch (error) {
    sendJson(res, error instanceof UnknownControlAction ? 404 : 400, { ok: false, action: name, error: messageOf(error) });
  }
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new TypeError(`Expected a body of at most ${MAX_BODY_BYTES} bytes, got more.`));
      else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new TypeError(`Expected a JSON body, got ${JSON.stringify(text.slice(0, 60))}.`));
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { ...CORS_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
