/**
 * The lifecycle property (test/property/model.ts) once more, with the optional parts arriving the
 * way the browser build delivers them: every stream fetches its parts asynchronously (the loaders
 * of src/lazy.js are replaced by ones that always answer with a promise after 0-20 ms), so start(),
 * close(), rotate() and listener re-entry race the fetch. Same invariants, fewer sequences.
 *   PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npx vitest run test/property/lazy-parts.property.test.ts
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureProcessErrors } from './model.js';
import { checkLifecycleProperty } from './run-property.js';

vi.mock('../../src/lazy.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/lazy.js')>();
  return {
    parts: real.parts,
    /** Always a fetch: every stream takes the asynchronous path, as on a page's first use. */
    loadPart: (): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20))),
  };
});

const env = process.env;
const baseSeed = env.PROPERTY_SEED !== undefined ? Number(env.PROPERTY_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const path = env.PROPERTY_PATH;
const runs = Number(env.PROPERTY_RUNS ?? 60);

let release: () => void;
beforeAll(() => {
  release = captureProcessErrors();
});
afterAll(() => release());

describe('ResilientStream lifecycle, model-based, with optional parts fetched on demand', () => {
  it(`holds every invariant over ${runs} random sequences (base seed ${baseSeed})`, async () => {
    console.log(`[property:lazy] base seed ${baseSeed}, ${runs} runs`);
    const failures = await checkLifecycleProperty({ baseSeed, runs, lanes: path !== undefined ? 1 : 6, maxSteps: 8, path, shrinkBudgetMs: 60_000 });
    if (failures.length > 0) console.error(`[property:lazy] reproduce with PROPERTY_SEED=<seed> PROPERTY_PATH=<path>\n${failures[0]}`);
    expect(failures, failures[0]).toEqual([]);
  }, 600_000);
});
