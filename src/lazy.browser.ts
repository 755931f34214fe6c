import type { Resyncer } from './resyncer.js';
import type { Rotator } from './rotator.js';

/**
 * The browser build's loaders (tsup.config.ts swaps them in for `lazy.ts`): each optional part is a
 * separate chunk that a page fetches only when a stream uses it, so a stream without `sequence`,
 * `resync` or `rotate` never downloads that code. A failed fetch is not remembered: the next call
 * tries again.
 */
let resyncer: Promise<typeof Resyncer> | undefined;
let rotator: Promise<typeof Rotator> | undefined;

export const loadResyncer = (): Promise<typeof Resyncer> =>
  (resyncer ??= import('./resyncer.js').then((m) => m.Resyncer, (error: unknown) => { resyncer = undefined; throw error; }));
export const loadRotator = (): Promise<typeof Rotator> =>
  (rotator ??= import('./rotator.js').then((m) => m.Rotator, (error: unknown) => { rotator = undefined; throw error; }));
