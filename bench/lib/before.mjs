// A "before" contender: ResilientStream as built from an earlier commit, so a change can be judged
// against the code it replaced in the same run, on the same machine, in alternation.
//   BENCH_BEFORE=<git ref> node bench/throughput.mjs --contenders=ws,rs,rs-before
// The ref is checked out in a temporary worktree, its own dependencies installed there (a ref may
// use packages the current tree dropped), and src/index.ts bundled with them into
// bench/.results/dist-before/index.js (only `ws` and `isomorphic-ws` stay external). Reused while the ref is the same.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './env.mjs';

const OUT = path.join(ROOT, 'bench', '.results', 'dist-before');

/** The commit of BENCH_BEFORE, or undefined when no before build is wanted. */
export function beforeRef() {
  const ref = process.env.BENCH_BEFORE;
  return ref === undefined || ref === '' ? undefined : execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
}

/** Builds the before contender if needed; returns its commit. */
export async function ensureBeforeBuild() {
  const commit = beforeRef();
  if (commit === undefined) throw new Error('Expected BENCH_BEFORE=<git ref> for the rs-before contender');
  const stamp = path.join(OUT, 'commit');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === commit) return commit;
  const tree = path.join(tmpdir(), `resilient-stream-before-${commit}`);
  if (!existsSync(tree)) {
    execFileSync('git', ['worktree', 'add', '--detach', tree, commit], { cwd: ROOT, stdio: 'ignore' });
  }
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: tree, stdio: 'ignore', timeout: 300_000 });
    const esbuild = await import('esbuild');
    mkdirSync(OUT, { recursive: true });
    await esbuild.build({
      entryPoints: [path.join(tree, 'src/index.ts')], outfile: path.join(OUT, 'index.js'),
      bundle: true, format: 'esm', platform: 'node', target: 'es2022', external: ['ws', 'isomorphic-ws'], logLevel: 'error',
    });
    writeFileSync(stamp, commit);
    return commit;
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
    rmSync(tree, { recursive: true, force: true });
  }
}
