import { defineConfig } from 'vitest/config';

// Root tests share the kernel (namespaces, loop devices, ports): one file at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The agents declare their Types to the model before any test plans or validates, as in the engine.
    setupFiles: ['test/setup/declare-types.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
