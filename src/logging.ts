import type { ResilientStreamError } from './errors.js';
import type { Logger } from './options.js';
import type { ResilientStream } from './resilient-stream.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Writes one structured line per lifecycle event: `logger[level]({ event, ...payload }, message)`,
 * the form pino expects and console prints readably. Payloads carry urls already redacted; errors
 * are logged with their code and message. Messages are never logged. A logger that throws is
 * ignored: logging must never stop a stream.
 */
export function attachLogger<In, Out, Data extends In>(stream: ResilientStream<In, Out, Data>, logger: Logger): void {
  const write = (level: Level, event: string, payload: object, message: string): void => {
    try {
      logger[level]?.({ event, ...payload }, message);
    } catch {
      // A broken logger is the host's problem to see in its own output, never the stream's.
    }
  };
  stream.on('state', (e) => write('debug', 'state', e, `state ${e.from} -> ${e.to}`));
  stream.on('open', (e) => write('info', 'open', e, `socket open (attempt ${e.attempt})`));
  stream.on('close', (e) => write('info', 'close', e, `socket closed with code ${e.code}`));
  stream.on('reconnecting', (e) => write('warn', 'reconnecting', e, `reconnecting in ${Math.round(e.delayMs)} ms`));
  stream.on('stale', (e) => write('warn', 'stale', e, `stale (${e.kind}) after ${e.silentForMs} ms`));
  stream.on('gap', (e) => write('warn', 'gap', e, `sequence gap: expected ${e.expected}, got ${e.received}`));
  stream.on('resyncing', (e) => write('info', 'resyncing', e, `resyncing (${e.reason})`));
  stream.on('resynced', (e) => write('info', 'resynced', e, `resynced in ${e.durationMs} ms`));
  stream.on('storm', (e) => write('error', 'storm', e, `reconnect storm: ${e.reconnects} reconnects in ${e.windowMs} ms`));
  stream.on('stormEnd', (e) => write('info', 'stormEnd', e, 'reconnect storm ended'));
  stream.on('rotated', (e) => write('info', 'rotated', e, `rotated to a new socket (${e.reason})`));
  stream.on('error', (error: ResilientStreamError) => write('error', 'error', { code: error.code, status: error.status, topic: error.topic }, error.message));
}
