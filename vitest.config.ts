import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The long fault-injection tests run with `npm run test:chaos` (vitest.chaos.config.ts).
    exclude: [...configDefaults.exclude, 'test/chaos/**'],
    pool: 'forks',
    maxWorkers: 2,
    // An embedded database takes ~3 s to start; one is shared per file.
    testTimeout: 60_000, // the e2e tests start processes; a loaded 2-core machine takes its time
    hookTimeout: 60_000,
    coverage: { provider: 'v8', include: ['src/**/*.ts'], reporter: ['text-summary', 'html'] },
  },
});
