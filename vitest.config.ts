import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.tools/**', 'runs/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real processes and sockets: two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
