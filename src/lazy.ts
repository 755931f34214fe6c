import { Resyncer } from './resyncer.js';
import { Rotator } from './rotator.js';

/**
 * The stream's optional parts (sequence tracking and resync, rotation), for Node and every build but
 * the browser one: here they load with the stream, so each loader returns the class itself and the
 * stream wires it in synchronously. The browser build swaps this module for `lazy.browser.ts`, where
 * each loader fetches its part only when a stream is configured to use it (see docs/browsers.md).
 */
export const loadResyncer = (): typeof Resyncer | Promise<typeof Resyncer> => Resyncer;
export const loadRotator = (): typeof Rotator | Promise<typeof Rotator> => Rotator;

