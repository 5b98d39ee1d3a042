import { defineConfig } from 'vitest/config';

// Root tests share the kernel (namespaces, loop devices, ports): one file at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
