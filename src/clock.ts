import type { Clock } from './options.js';

// performance.now() is monotonic (wall-clock adjustments never move it); anchoring it at
// timeOrigin keeps values in epoch milliseconds, so health() can report them directly.
const origin = performance.timeOrigin;

/** The platform's monotonic clock and timers: the production default of the `clock` option. */
export const systemClock: Clock = Object.freeze({
  now: () => origin + performance.now(),
  setTimeout: (callback: () => void, delayMs: number) => setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
