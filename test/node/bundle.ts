import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');
/** Inside node_modules, so the bundle's bare imports (ws, redis, commander) resolve from the repo. */
const outDir = join(root, 'node_modules', '.cache', 'resilient-stream-tests');

/**
 * Bundles a TypeScript entry (a worker script or the CLI) straight from src/ into one ES module a
 * child `node` process can run, so child-process tests never depend on a stale dist/.
 * Returns the path of the bundle.
 */
export async function bundle(entry: string, name: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent' });
  return outfile;
}
