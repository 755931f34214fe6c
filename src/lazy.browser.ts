import type { PartName, Parts } from './lazy.js';

/**
 * The browser build's parts registry (tsup.config.ts swaps it in for `lazy.ts`): every optional
 * part is a separate chunk that a page fetches the first time a stream needs it, so a stream without
 * `sequence`, `resync`, `rotate`, `logger`, adaptive staleness or `rateLimit` never downloads that
 * code. A failed fetch is not remembered: the next call tries again.
 */
export const parts: { -readonly [K in PartName]?: Parts[K] } = {};

const IMPORTS: { readonly [K in PartName]: () => Promise<Parts[K]> } = {
  Resyncer: () => import('./resyncer.js').then((m) => m.Resyncer),
  Rotator: () => import('./rotator.js').then((m) => m.Rotator),
  attachLogger: () => import('./logging.js').then((m) => m.attachLogger),
  P2Quantile: () => import('./quantile.js').then((m) => m.P2Quantile),
  Pacer: () => import('./pacer.js').then((m) => m.Pacer),
};
const fetching = new Map<PartName, Promise<void>>();

export function loadPart(name: PartName): Promise<void> | undefined {
  if (parts[name] !== undefined) return undefined;
  let fetch = fetching.get(name);
  if (fetch === undefined) {
    fetch = IMPORTS[name]().then(
      (part) => { (parts as Record<PartName, unknown>)[name] = part; fetching.delete(name); },
      (error: unknown) => { fetching.delete(name); throw error; },
    );
    fetching.set(name, fetch);
  }
  return fetch;
}
