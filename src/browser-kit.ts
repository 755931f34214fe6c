import { backoffDelay, checkedRandom } from './backoff.js';
import { systemClock } from './clock.js';
import { Connection } from './connection.js';
import { describe, ResilientStreamError } from './errors.js';
import { Fifo } from './fifo.js';
import { Inbound } from './inbound.js';
import { MessageIterator } from './message-iterator.js';
import { ResilientStream } from './resilient-stream.js';
import { DEFAULTS } from './resolve-options.js';
import { SafeEmitter } from './safe-emitter.js';
import { invalid, MAX_DURATION_MS, rate, topicList } from './validate.js';

/**
 * What the browser build's satellite files (`pool.js` and the parts a page fetches on demand) take
 * from `index.js` instead of carrying copies, so a page downloads the core once, in one file, and
 * has one class of each (an error from a part is `instanceof` the page's ResilientStreamError).
 * scripts/browser-build.ts points every import a satellite makes of a module in `index.js` here,
 * and the build fails when a satellite imports a name this kit lacks.
 */
export const KIT = Object.freeze({
  backoffDelay, checkedRandom, Connection, DEFAULTS, describe, Fifo, Inbound, invalid, MAX_DURATION_MS, MessageIterator, rate, ResilientStream,
  ResilientStreamError, SafeEmitter, systemClock, topicList,
});

/** Where `index.js` keeps the kit: a non-enumerable static of ResilientStream, the one value every satellite can import. */
const KIT_KEY = Symbol.for('resilient-stream.kit');

/** Hangs the kit on ResilientStream; the browser entry calls it once. */
export function shareKit(): void {
  Object.defineProperty(ResilientStream, KIT_KEY, { value: KIT });
}
