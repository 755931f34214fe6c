import { attachLogger } from './logging.js';
import { Pacer } from './pacer.js';
import { P2Quantile } from './quantile.js';
import { Resyncer } from './resyncer.js';
import { Rotator } from './rotator.js';

/** The stream's optional parts: each is needed only by streams configured to use it. */
export interface Parts {
  /** `sequence`, `resync`, `backfill`. */
  readonly Resyncer: typeof Resyncer;
  /** `rotate`, `rotate()`. */
  readonly Rotator: typeof Rotator;
  /** `logger` (or RESILIENT_STREAM_DEBUG=1). */
  readonly attachLogger: typeof attachLogger;
  /** `staleAfterMs: { auto: true }`. */
  readonly P2Quantile: typeof P2Quantile;
  /** `rateLimit`. */
  readonly Pacer: typeof Pacer;
}
export type PartName = keyof Parts;

/**
 * The parts that are here. Outside the browser build every part loads with the stream, so all are;
 * the browser build swaps this module for `lazy.browser.ts`, which fetches each part the first time
 * a stream needs it (see docs/browsers.md).
 */
export const parts: Partial<Parts> = { Resyncer, Rotator, attachLogger, P2Quantile, Pacer };

/** Makes `name` available in {@link parts}: a promise while it is fetched, undefined once it is here (always, here). */
export function loadPart(_name: PartName): Promise<void> | undefined {
  return undefined;
}
