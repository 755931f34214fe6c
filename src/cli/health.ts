import { InvalidArgumentError } from 'commander';
import { EXIT } from './exit-codes.js';

/** Flags of `health`. */
export interface HealthFlags {
  /** How long to wait for the answer, in ms. */
  readonly timeout: number;
  /** Print the whole report as JSON. */
  readonly json?: boolean;
}

interface Report {
  readonly ok: boolean;
  readonly streams?: Record<string, { readonly ok?: boolean; readonly state?: string; readonly stale?: boolean; readonly last_message_age_seconds?: number | null }>;
}

/**
 * `resilient-stream health <url>`: reads a `serveHealth` endpoint (`url` as {@link healthUrl} gives it) and exits 0 when healthy, 1 when unhealthy, 3 when there is no usable
 * answer (refused, timed out, not a health report). Made for container and uptime probes.
 */
export async function health(url: string, flags: HealthFlags, out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const target = url;
  let status: number;
  let report: unknown;
  try {
    const response = await fetch(target, { signal: AbortSignal.timeout(flags.timeout) });
    status = response.status;
    report = await response.json();
  } catch (error) {
    out.write(`unreachable: ${target}: ${describe(error)}\n`);
    return EXIT.UNREACHABLE;
  }
  if (!isReport(report)) {
    out.write(`unreachable: ${target} answered HTTP ${status} without a health report\n`);
    return EXIT.UNREACHABLE;
  }
  const healthy = status === 200 && report.ok;
  if (flags.json) out.write(`${JSON.stringify(report)}\n`);
  else out.write(`${healthy ? 'ok' : 'unhealthy'}: ${summary(report)}\n`);
  return healthy ? EXIT.OK : EXIT.UNHEALTHY;
}

/**
 * The endpoint to fetch: an absolute http: or https: URL, with `/health` added when it has no
 * path. Throws commander's InvalidArgumentError (exit code 2, bad usage) for anything else.
 */
export function healthUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`Expected an http: or https: URL, got ${JSON.stringify(url)}.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError(`Expected an http: or https: URL, got a ${parsed.protocol} URL.`);
  }
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/health';
  return parsed.href;
}

function summary(report: Report): string {
  const streams = Object.entries(report.streams ?? {});
  if (streams.length === 0) return 'no streams';
  return streams.map(([name, s]) => `${name} ${s.state ?? '?'}${s.stale === true ? ' stale' : ''}${s.ok === false ? ' (not ok)' : ''}`).join(', ');
}

function isReport(value: unknown): value is Report {
  return typeof value === 'object' && value !== null && 'ok' in value && typeof value.ok === 'boolean';
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.name === 'TimeoutError' ? 'timed out' : error.message}${cause}`;
  }
  return String(error);
}
