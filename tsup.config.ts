import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

const SRC = fileURLToPath(new URL('src/', import.meta.url));

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
    // dependency is bundled (a page cannot resolve bare specifiers): `index.js` (everything but
    // StreamPool) and `pool.js`, sharing chunks. isomorphic-ws is pinned to its browser entry, which
    // only returns globalThis.WebSocket; `ws` and Node built-ins never get in. Types are shared with
    // the ESM build (dist/index.d.ts, dist/pool/index.d.ts). `npm run size` checks the output.
    entry: { index: 'src/browser.ts', pool: 'src/pool/index.ts' },
    outDir: 'dist/browser',
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
    noExternal: [/./],
    // Optional parts (resync, rotation) become chunks fetched only by streams that use them: the
    // browser loaders of src/lazy.browser.ts replace src/lazy.ts, which loads them with the stream.
    splitting: true,
    esbuildOptions(options) {
      options.alias = { ...options.alias, 'isomorphic-ws': 'isomorphic-ws/browser.js' };
    },
    // Browser twins: a relative import `./name.js` (or `../name.js`) from src/ resolves to
    // `name.browser.ts` when that file sits next to `name.ts`, so a new twin needs no change here
    // (lazy.browser.ts above; ws-listeners.browser.ts, as a page has no Node `ws` socket to listen
    // to). A twin's own imports are left alone: it may import its Node sibling.
    esbuildPlugins: [{
      name: 'browser-twins',
      setup(build) {
        build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
          const twin = join(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
          if (!args.importer.startsWith(SRC) || args.importer === twin || !existsSync(twin)) return undefined;
          return { path: twin };
        });
      },
    }],
  },
]);
