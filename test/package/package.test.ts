import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

beforeAll(() => ensureBuilt(180_000), 190_000);

async function runNode(file: string): Promise<{ stdout: string; ms: number }> {
  const started = Date.now();
  // No process.exit() in the fixtures: the process ends only if close() released every
  // timer, listener and socket. The timeout turns a leak into a failure.
  const { stdout } = await run(process.execPath, [join(import.meta.dirname, 'fixtures', file)], { cwd: root, timeout: 15_000 });
  return { stdout, ms: Date.now() - started };
}

describe('the built package', () => {
  it('CommonJS users can require() it, and the process exits on its own after close()', async () => {
    const { stdout } = await runNode('consumer.cjs');
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ ok: true, topic: 'a', isError: true, state: 'closed' });
  });

  it('ESM users import it, and with every timer-owning feature on, close() leaves nothing that keeps Node alive', async () => {
    const { stdout, ms } = await runNode('consumer.mjs');
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ ok: true, topic: 'a', state: 'closed' });
    expect(ms).toBeLessThan(10_000);
  });

  it('StreamPool comes from resilient-stream/pool (ESM, CJS, browser) and is the same class as the main entry\'s in Node; the browser entry leaves it out', async () => {
    const esm = `import { StreamPool } from 'resilient-stream/pool'; import * as main from 'resilient-stream';
      import * as page from './dist/browser/index.js'; import * as pagePool from './dist/browser/pool.js';
      console.log(JSON.stringify([typeof StreamPool, StreamPool === main.StreamPool, 'StreamPool' in page, typeof pagePool.StreamPool]));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', esm], { cwd: root, timeout: 15_000 });
    expect(JSON.parse(stdout)).toEqual(['function', true, false, 'function']);
    const cjs = "const { StreamPool } = require('resilient-stream/pool'); console.log(StreamPool === require('resilient-stream').StreamPool)";
    expect((await run(process.execPath, ['-e', cjs], { cwd: root, timeout: 15_000 })).stdout.trim()).toBe('true');
  });

  it('the browser build takes the browser twins (src/*.browser.ts): parts load on demand, and nothing listens for Node ws\'s events', () => {
    const browser = join(root, 'dist', 'browser');
    const files = readdirSync(browser).filter((file) => file.endsWith('.js'));
    expect(files.filter((file) => /^(resyncer|rotator|logging|quantile|pacer)\.js$/.test(file))).toHaveLength(5);
    for (const file of files) expect(readFileSync(join(browser, file), 'utf8'), file).not.toContain('unexpected-response');
    // The Node builds keep ws's handshake-rejection path: the string above is the right one to look for.
    expect(readFileSync(join(root, 'dist', 'index.cjs'), 'utf8')).toContain('unexpected-response');
  });

  it('the browser index.js is one file holding the whole core, and its satellites (pool.js, the parts) carry none of it', () => {
    const browser = join(root, 'dist', 'browser');
    const read = (file: string): string => readFileSync(join(browser, file), 'utf8');
    /** The source modules a file of the (unminified) build holds: esbuild heads each with `// src/name.ts`. */
    const modulesIn = (file: string): string[] => [...read(file).matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map((match) => match[1]!);
    const index = read('index.js');
    expect(index.match(/^import /m)).toBeNull();
    const core = new Set(modulesIn('index.js'));
    expect(core.has('src/resilient-stream.ts') && core.has('src/errors.ts') && core.has('src/connection.ts')).toBe(true);
    const satellites = readdirSync(browser).filter((file) => file.endsWith('.js') && file !== 'index.js');
    expect(satellites.length).toBeGreaterThanOrEqual(6);
    for (const file of satellites) {
      expect(modulesIn(file).filter((module) => core.has(module)), file).toEqual([]);
      for (const [, from] of read(file).matchAll(/^import [^;]*? from "([^"]+)";$/gms)) expect(from, file).toMatch(/^\.\/[\w-]+\.js$/);
    }
    // They reach the core through one kit module, which reads it from index.js.
    expect(satellites.filter((file) => read(file).includes('from "./index.js"'))).toHaveLength(1);
  });

  it('an app bundled by esbuild (code split, the way bundlers ship the browser build) runs the parts and pool.js on its one core', async () => {
    const { build } = await import('esbuild');
    const outdir = mkdtempSync(join(tmpdir(), 'rs-bundled-app-'));
    try {
      await build({
        entryPoints: [join(import.meta.dirname, 'fixtures', 'bundled-app.mjs')], bundle: true, splitting: true, format: 'esm',
        platform: 'browser', outdir, entryNames: '[name]', logLevel: 'silent',
      });
      const { stdout } = await run(process.execPath, [join(import.meta.dirname, 'fixtures', 'bundled-app-runner.mjs'), outdir], { cwd: root, timeout: 15_000 });
      expect(JSON.parse(stdout.trim())).toEqual({ codes: ['RS_SEQUENCE'], partErrorsAreOurs: true, poolErrorIsOurs: true });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('type declarations work for ESM and CJS consumers under NodeNext and Bundler resolution, and the event map is typed', async () => {
    const types = join(root, 'test', 'types');
    for (const project of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const result = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(types, project)], { cwd: root, timeout: 60_000 })
        .catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
      expect(result.stdout, `${project}: ${result.stdout}`).toBe('');
    }
  }, 90_000);
});
