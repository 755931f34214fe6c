/**
 * The exit codes of the `resilient-stream` command, for scripts and probes (docs/cli.md).
 * - 0: done as asked (tail or record stopped by a signal, --count or --duration; health ok)
 * - 1: `health` reached the endpoint and it said unhealthy (HTTP 503, or `ok: false`)
 * - 2: bad usage or could not start: an unknown option, an invalid value, a file or port that cannot be used
 * - 3: `health` could not get an answer: refused, timed out, or not a health report
 * - 4: the stream gave up (state `failed`: a fatal close or retries exhausted)
 */
export const EXIT = Object.freeze({ OK: 0, UNHEALTHY: 1, USAGE: 2, UNREACHABLE: 3, STREAM_FAILED: 4 });
