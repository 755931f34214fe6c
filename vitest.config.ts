import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests open real sockets and measure real timers: keep files in parallel
    // workers but never oversubscribe this 2-core machine.
    maxWorkers: 2,
  },
});
