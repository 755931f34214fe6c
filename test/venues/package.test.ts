import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

beforeAll(() => ensureBuilt(180_000), 190_000);

async function tsc(project: string): Promise<string> {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '-p', join(import.meta.dirname, 'types', project)], { cwd: root, timeout: 90_000 })
    .catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  return result.stdout;
}

describe('resilient-stream/venues as a package', () => {
  it('a strict consumer without @types/ws (and without @types/node) compiles a bot for every venue, ESM and CJS', async () => {
    expect(await tsc('tsconfig.browser.json')).toBe('');
  }, 100_000);

  it('a Node consumer of resilient-stream/testing compiles without @types/ws', async () => {
    expect(await tsc('tsconfig.node.json')).toBe('');
  }, 100_000);

  it('no published declaration imports ws', () => {
    for (const file of ['index.d.ts', 'testing/index.d.ts', 'venues/index.d.ts', 'node/index.d.ts']) {
      expect(readFileSync(join(root, 'dist', file), 'utf8'), file).not.toMatch(/from ['"]ws['"]/);
    }
  });

  it('the main browser bundle carries nothing of the venues module', () => {
    const browser = readFileSync(join(root, 'dist', 'browser', 'index.js'), 'utf8');
    const entry = readFileSync(join(root, 'dist', 'venues', 'index.js'), 'utf8');
    // The venues entry and the shared chunks it imports (testing shares the Kraken checksum).
    const chunks = [...entry.matchAll(/from\s*["']\.\.\/([^"']+\.js)["']/g)].map((m) => readFileSync(join(root, 'dist', m[1]!), 'utf8'));
    const venues = [entry, ...chunks].join('\n');
    // Strings minifiers keep: each is in the venues build and must not be in the browser build.
    const markers = ['advanced-trade-ws.coinbase.com', 'stream.bybit.com', 'ws.okx.com', 'ws.kraken.com', 'resilient-stream.venues.bookFeed', 'Expected a symbol like'];
    for (const marker of markers) {
      expect(venues, marker).toContain(marker);
      expect(browser, marker).not.toContain(marker);
    }
  });
});
