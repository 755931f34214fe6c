// How tsup.config.ts builds for browsers: `index.js`, the one file a page downloads up front, and
// its satellites, `pool.js` and the optional parts fetched on demand, which take everything of the
// core from `index.js` (src/browser-kit.ts) instead of sharing chunks with it. With shared chunks a
// page downloaded five files up front and 1.4 KB min+gz more (each file is gzipped on its own, and
// each carries import and export lists); see docs/browsers.md.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const LAZY = join(SRC, 'lazy.browser.ts');
/** isomorphic-ws's browser entry only returns globalThis.WebSocket: `ws` never gets in. */
export const BROWSER_ALIAS = { 'isomorphic-ws': 'isomorphic-ws/browser.js' };

/** The optional parts, as `src/lazy.browser.ts` imports them: `import('./name.js')`. */
export const PARTS = [...readFileSync(LAZY, 'utf8').matchAll(/import\('\.\/([\w-]+)\.js'\)/g)].map((match) => match[1]!);

/**
 * What src/browser-kit.ts gives satellites, read from its source so it is said in one place: the
 * keys of its `KIT = Object.freeze({ ... })`, and the `Symbol.for(...)` key it hangs the kit under.
 */
function readKit(): { names: string[]; key: string } {
  const source = readFileSync(join(SRC, 'browser-kit.ts'), 'utf8');
  const literal = /export const KIT = Object\.freeze\(\{([^}]*)\}\)/.exec(source);
  const key = /const KIT_KEY = Symbol\.for\(('[^']+')\)/.exec(source);
  if (literal === null || key === null) {
    throw new Error('Expected src/browser-kit.ts to declare `export const KIT = Object.freeze({ ... })` and `const KIT_KEY = Symbol.for(\'...\')`.');
  }
  return { names: literal[1]!.split(',').map((name) => name.trim()).filter((name) => name !== ''), key: key[1]! };
}

/** The file `./name.js` in `dir` is built from: `name.browser.ts` when that twin exists, else `name.ts`. */
function sourceOf(dir: string, path: string, importer: string): string {
  const twin = join(dir, path.replace(/\.js$/, '.browser.ts'));
  return existsSync(twin) && importer !== twin ? twin : join(dir, path.replace(/\.js$/, '.ts'));
}

/**
 * Browser twins: a relative import `./name.js` (or `../name.js`) from src/ resolves to
 * `name.browser.ts` when that file sits next to `name.ts`, so a new twin needs no change here
 * (lazy.browser.ts; ws-listeners.browser.ts, as a page has no Node `ws` socket to listen to). A
 * twin's own imports are left alone: it may import its Node sibling.
 */
export const browserTwins: Plugin = {
  name: 'browser-twins',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      if (!args.importer.startsWith(SRC)) return undefined;
      const source = sourceOf(args.resolveDir, args.path, args.importer);
      return source.endsWith('.browser.ts') ? { path: source } : undefined;
    });
  },
};

/** For `index.js`: each part's `import('./name.js')` stays an import of the satellite `name.js`. */
export const partsApart: Plugin = {
  name: 'parts-apart',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) =>
      (args.importer === LAZY && PARTS.includes(args.path.slice(2, -3)) ? { path: args.path, external: true } : undefined));
  },
};

/** The source files `index.js` is built from. */
async function coreFiles(): Promise<Set<string>> {
  const result = await build({
    entryPoints: [join(SRC, 'browser.ts')], bundle: true, write: false, metafile: true, format: 'esm', platform: 'browser',
    alias: BROWSER_ALIAS, plugins: [partsApart, browserTwins], logLevel: 'silent', absWorkingDir: join(SRC, '..'),
  });
  return new Set(Object.keys(result.metafile.inputs).map((path) => join(SRC, '..', path)));
}

/**
 * For the satellites: an import of any module `index.js` is built from resolves to one module that
 * reads the kit `index.js` hangs on ResilientStream. A name the kit lacks fails the build ("No
 * matching export"), so a satellite can never carry a second copy of the core by accident.
 */
export const coreFromIndex: Plugin = {
  name: 'core-from-index',
  async setup(builder) {
    const core = await coreFiles();
    builder.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      if (!args.importer.startsWith(SRC)) return undefined;
      const source = sourceOf(args.resolveDir, args.path, args.importer);
      return core.has(source) ? { path: 'kit', namespace: 'index-kit' } : undefined;
    });
    // Were the kit missing, this throws as the part loads, and the stream reports the part as not
    // fetched (RS_CONNECT_FAILED, RS_ROTATION_FAILED).
    builder.onLoad({ filter: /^kit$/, namespace: 'index-kit' }, () => {
      const { names, key } = readKit();
      return { contents: `import { ResilientStream as core } from './index.js';\nexport const { ${names.join(', ')} } = core[Symbol.for(${key})];\n`, loader: 'js' };
    });
    builder.onResolve({ filter: /^\.\/index\.js$/, namespace: 'index-kit' }, (args) => ({ path: args.path, external: true }));
  },
};
