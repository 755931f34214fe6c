// What the numbers were measured on and with: machine, Node, package versions, the build.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** The machine, Node and package versions, and the source revision being measured. */
export function environment() {
  const cpus = os.cpus();
  const self = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const dirty = git('status', '--porcelain', '--', 'src') !== '';
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    openFileLimit: spawnSync('bash', ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n'], { encoding: 'utf8' }).stdout.trim(),
    packages: {
      'resilient-stream': `${self.version} (git ${git('rev-parse', '--short', 'HEAD') || 'unknown'}${dirty ? ', with uncommitted src/ changes' : ''})`,
      ws: packageVersion('ws'),
      'reconnecting-websocket': packageVersion('reconnecting-websocket'),
      partysocket: packageVersion('partysocket'),
    },
    build: process.env.BENCH_BUILD ?? 'unknown',
  };
}

/**
 * Where clients import ResilientStream from: a byte-identical copy of dist/index.js (and the chunks it imports) taken right after the
 * build, so another `npx tsup` in the same working tree cannot swap or delete the code mid-run.
 */
export const DIST_SNAPSHOT = path.join(ROOT, 'bench', '.results', 'dist');

/**
 * Builds the current source with `npx tsup` (once per `npm run bench`: the runner sets
 * BENCH_SKIP_BUILD). If tsup fails (another entry point mid-edit), dist/index.js is built from
 * src/index.ts with esbuild using tsup's ESM settings, and the report says so.
 */
export async function ensureBuild() {
  if (process.env.BENCH_SKIP_BUILD === '1') return process.env.BENCH_BUILD ?? 'prebuilt';
  // Other people build in the same tree: a concurrent tsup may clean dist/ right after ours, so the
  // output is read back (and the build retried) until it is there.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const build = await buildOnce();
    const code = readDist();
    if (code !== undefined && tryCopy(code)) {
      process.env.BENCH_BUILD = build;
      process.env.BENCH_SKIP_BUILD = '1';
      return build;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000 * attempt));
  }
  throw new Error('Expected dist/index.js after building, but it kept disappearing (a concurrent build cleaning dist/?)');
}

async function buildOnce() {
  const result = spawnSync('npx', ['tsup'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  if (result.status === 0) return 'npx tsup';
  process.stderr.write(`[bench] npx tsup failed; building dist/index.js with esbuild instead:\n${(result.stderr || result.stdout || '').trim().split('\n').slice(-5).join('\n')}\n`);
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/index.ts')],
    outfile: path.join(ROOT, 'dist/index.js'),
    bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', packages: 'external', logLevel: 'error',
  });
  return 'esbuild src/index.ts (npx tsup failed)';
}

function readDist() {
  try {
    return readFileSync(path.join(ROOT, 'dist', 'index.js'), 'utf8');
  } catch {
    return undefined;
  }
}

function tryCopy(code) {
  try {
    snapshot(code);
    return true;
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    return false;
  }
}

/** Copies dist/index.js and every file it imports relatively (tsup's shared chunks). */
function snapshot(code) {
  rmSync(DIST_SNAPSHOT, { recursive: true, force: true });
  mkdirSync(DIST_SNAPSHOT, { recursive: true });
  const pending = [['index.js', code]];
  const copied = new Set();
  while (pending.length > 0) {
    const [name, text] = pending.pop();
    if (copied.has(name)) continue;
    copied.add(name);
    writeFileSync(path.join(DIST_SNAPSHOT, name), text);
    for (const match of text.matchAll(/(?:from|import)\s*["']\.\/([^"']+)["']/g)) {
      if (match[1].includes('/')) throw new Error(`Expected dist/index.js to import only sibling chunks, got ./${match[1]}`);
      pending.push([match[1], readFileSync(path.join(ROOT, 'dist', match[1]), 'utf8')]);
    }
  }
}
