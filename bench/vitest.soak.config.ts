import { defineConfig } from 'vitest/config';

// bench/soak.mjs only: the soak run is long and not a test of the suite.
export default defineConfig({
  test: {
    include: ['bench/soak.run.ts'],
    fileParallelism: false,
    testTimeout: 26 * 60 * 60 * 1000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
