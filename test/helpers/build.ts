import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// One way for any test file to get a fresh dist/: the package, venues and browser tests all build
// through it, under one lock, so two files never run tsup (whose `clean` empties dist/) at once.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What tests load from dist/: every entry's output they import or type-check against. */
const OUTPUTS = ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/browser/index.js', 'dist/browser/pool.js', 'dist/testing/index.js', 'dist/venues/index.d.ts', 'dist/pool/index.cjs'];
const SOURCES = ['src', 'tsup.config.ts', 'scripts/browser-build.ts'];
const LOCK_DIR = join(ROOT, 'node_modules', '.cache', 'resilient-stream-build.lock');
const LOCK_STALE_MS = 180_000;

function newestMtimeMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

function isBuildFresh(): boolean {
  const outputs = OUTPUTS.map((file) => join(ROOT, file));
  if (!outputs.every((file) => existsSync(file))) return false;
  const oldestOutput = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  return SOURCES.every((source) => newestMtimeMs(join(ROOT, source)) <= oldestOutput);
}

function tryLock(): boolean {
  mkdirSync(join(LOCK_DIR, '..'), { recursive: true });
  try {
    mkdirSync(LOCK_DIR);
    return true;
  } catch {
    // Held by another test file building right now, or left behind by a crashed run.
    if (Date.now() - statSync(LOCK_DIR).mtimeMs > LOCK_STALE_MS) rmdirSync(LOCK_DIR);
    return false;
  }
}

/**
 * Builds dist/ with tsup when it is missing or older than src/ (CI builds first, so this is a
 * no-op there). A directory lock keeps two test files from running tsup, whose `clean` would
 * delete each other's output, at the same time.
 */
export async function ensureBuilt(timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isBuildFresh()) {
    if (tryLock()) {
      try {
        if (!isBuildFresh()) runTsup();
      } finally {
        rmdirSync(LOCK_DIR);
      }
      break;
    }
    if (Date.now() > deadline) throw new Error(`Expected the build lock ${LOCK_DIR} to be released within ${timeoutMs} ms, but it was not.`);
    await new Promise((done) => setTimeout(done, 250));
  }
  for (const file of OUTPUTS) {
    if (!existsSync(join(ROOT, file))) throw new Error(`Expected ${file} after building with tsup, found nothing.`);
  }
}

function runTsup(): void {
  try {
    execFileSync('npx', ['--no-install', 'tsup'], { cwd: ROOT, stdio: 'pipe', timeout: 110_000 });
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`Expected \`npx tsup\` to build dist/, but it failed:\n${output.stdout ?? ''}${output.stderr ?? ''}`, { cause: error });
  }
}
