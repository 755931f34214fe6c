import { defineConfig } from 'vitest/config';

/** `npm run soak`: the long runs, in one forked worker with `--expose-gc` so heap checks are exact. */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    pool: 'forks',
    execArgv: ['--expose-gc'],
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 60_000,
  },
});
