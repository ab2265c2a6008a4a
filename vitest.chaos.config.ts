// `npm run test:chaos`: the fault-injection tests of test/chaos (a database outage, SIGKILL and
// SIGTERM of the service, upstream chaos). Slow by nature, so kept out of `npm test`; .ci/run
// runs both. Files run one at a time: each starts processes and servers of its own and measures
// time-sensitive behaviour (3 s answers, 10 s shutdowns) that two at once on 2 cores would blur.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
