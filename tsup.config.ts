import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { BROWSER_ALIAS, browserTwins, coreFromIndex, PARTS, partsApart } from './scripts/browser-build.js';

/** What both browser builds share (scripts/browser-build.ts says how the two fit together). */
const browser: Options = {
  outDir: 'dist/browser',
  format: ['esm'],
  dts: false,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
  noExternal: [/./],
  esbuildOptions(options) {
    options.alias = { ...options.alias, ...BROWSER_ALIAS };
  },
};

const entry = {
  index: 'src/index.ts',
  'testing/index': 'src/testing/index.ts',
  'node/index': 'src/node/index.ts',
  'venues/index': 'src/venues/index.ts',
  'pool/index': 'src/pool/index.ts',
};

export default defineConfig([
  {
    // ESM: dependencies stay external and are resolved by the consumer.
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: ['ws', 'isomorphic-ws', 'node:http', 'node:net', 'node:events'],
  },
  {
    // CommonJS: every runtime dependency can be require()d, so all stay external; a dependency
    // that is ESM-only would have to be bundled in here (`noExternal`).
    entry,
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    // CommonJS files are not split: `resilient-stream/pool` requires the main file for StreamPool
    // instead of carrying a second copy, so both entries hand out the same classes.
    esbuildPlugins: [{
      name: 'pool-from-main',
      setup(build) {
        build.onResolve({ filter: /^\.\.\/stream-pool\.js$/ }, (args) =>
          (args.importer.endsWith(join('src', 'pool', 'index.ts')) ? { path: '../index.cjs', external: true } : undefined));
      },
    }],
  },
  {
    // The `resilient-stream` command (package `bin`): one ES module for Node, dependencies
    // external; the shebang in src/cli/index.ts is kept and tsup makes the file executable.
    entry: { 'cli/index': 'src/cli/index.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // Browsers: self-contained ES modules that a plain <script type="module"> can import, so every
    // dependency is bundled (a page cannot resolve bare specifiers). isomorphic-ws is pinned to its
    // browser entry, which only returns globalThis.WebSocket; `ws` and Node built-ins never get in.
    // Types are shared with the ESM build (dist/index.d.ts, dist/pool/index.d.ts). `npm run size`
    // checks the output.
    //
    // `index.js` (everything but StreamPool) is one file: all a page downloads up front. Each
    // optional part stays an import() of its own file (src/lazy.browser.ts replaces src/lazy.ts,
    // which loads them with the stream), built below.
    ...browser,
    entry: { index: 'src/browser.ts' },
    esbuildPlugins: [partsApart, browserTwins],
  },
  {
    // The satellites of `index.js`: `pool.js` and the optional parts. What they use of the core
    // they read from `index.js` (src/browser-kit.ts); they share chunks only among themselves.
    ...browser,
    entry: { pool: 'src/pool/index.ts', ...Object.fromEntries(PARTS.map((part) => [part, `src/${part}.ts`])) },
    splitting: true,
    esbuildPlugins: [coreFromIndex, browserTwins],
  },
]);
