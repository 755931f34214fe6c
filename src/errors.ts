/**
 * Every error code `ResilientStreamError` can carry. Each is described, with its cause and remedy,
 * in docs/errors.md (a test keeps that page and this list in step).
 */
export const ERROR_CODES = [
  'RS_INVALID_OPTIONS',
  'RS_CONNECT_TIMEOUT',
  'RS_CONNECT_FAILED',
  'RS_HANDSHAKE_REJECTED',
  'RS_STALE',
  'RS_HEARTBEAT_TIMEOUT',
  'RS_DECODE',
  'RS_ENCODE',
  'RS_LISTENER',
  'RS_SUBSCRIBE',
  'RS_RESYNC',
  'RS_FATAL_CLOSE',
  'RS_RETRIES_EXHAUSTED',
  'RS_MESSAGE_TOO_LARGE',
  'RS_CLOSED',
  'RS_ITERATOR_OVERFLOW',
  'RS_SEQUENCE',
  'RS_TIMEOUT',
  'RS_ROTATION_FAILED',
  'RS_PAUSED_OVERFLOW',
] as const;

/** A machine-readable error code: `RS_` plus SCREAMING_SNAKE. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra context a caller can act on; every field is optional. */
export interface ErrorDetails {
  /** The error (or value) that caused this one. */
  readonly cause?: unknown;
  /** HTTP status of a refused WebSocket handshake. */
  readonly status?: number;
  /** Close code of the close frame that ended the connection (set on RS_FATAL_CLOSE). */
  readonly closeCode?: number;
  /** Close reason that came with `closeCode`. */
  readonly closeReason?: string;
  /** Server's `Retry-After` on a refused handshake, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The topic concerned, when the error is about one topic. */
  readonly topic?: string;
  /** The event whose listener threw (RS_LISTENER). */
  readonly event?: string;
}

/**
 * The one error class of resilient-stream. Thrown only for programmer mistakes (bad options,
 * `start()` after `close()`); operational trouble is emitted as an `error` event instead.
 */
export class ResilientStreamError extends Error {
  /** What went wrong, as a stable code. */
  readonly code: ErrorCode;
  /** HTTP status of a refused handshake (RS_HANDSHAKE_REJECTED, and RS_FATAL_CLOSE caused by one). */
  declare readonly status?: number;
  /** Close code of the close frame behind RS_FATAL_CLOSE. */
  declare readonly closeCode?: number;
  /** Close reason that came with `closeCode`. */
  declare readonly closeReason?: string;
  /** `Retry-After` of a refused handshake, in milliseconds. */
  declare readonly retryAfterMs?: number;
  /** The topic concerned, if any. */
  declare readonly topic?: string;
  /** The event whose listener threw (RS_LISTENER). */
  declare readonly event?: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    const { cause, ...context } = details;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ResilientStreamError';
    this.code = code;
    // Only the details that were given become properties, so errors print without noise.
    for (const [key, value] of Object.entries(context)) if (value !== undefined) Object.assign(this, { [key]: value });
  }
}

/** True when `value` is a ResilientStreamError, optionally with the given code. */
export function isResilientStreamError(value: unknown, code?: ErrorCode): value is ResilientStreamError {
  return value instanceof ResilientStreamError && (code === undefined || value.code === code);
}

/**
 * A one-line description of any thrown value, for error messages. Never throws itself: a value
 * may be a null-prototype object (no string form), a Symbol, a BigInt, a revoked Proxy or an
 * error whose `message` getter throws.
 */
export function describe(value: unknown): string {
  try {
    if (value instanceof Error) return String(value.message);
    if (typeof value === 'string') return value;
    // JSON has no NaN or Infinity: it would show them as null.
    if (typeof value === 'symbol' || typeof value === 'bigint' || typeof value === 'number') return String(value);
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return `[${typeof value} without a string form]`;
    }
  }
}
