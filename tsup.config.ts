import { defineConfig } from 'tsup';

const entry = {
  index: 'src/index.ts',
  'testing/index': 'src/testing/index.ts',
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
    external: ['ws', 'isomorphic-ws', 'eventemitter3', 'p-retry', 'node:http', 'node:net', 'node:events'],
  },
  {
    // CommonJS: p-retry (and its dependency) is ESM-only, so it is bundled in; `require()` of the
    // CJS build must never hit an ESM-only module.
    entry,
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    noExternal: ['p-retry', 'is-network-error'],
  },
]);
