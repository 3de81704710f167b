import { defineConfig } from 'vitest/config';

/**
 * `npm run test:fleet`: the fleet tests, on a real Temporal cluster with several Warden worker and
 * API processes (start/fleet.ts). Not part of `npm test`: the first run builds the Temporal
 * server, and a run takes minutes; `.ci/run` runs it after `npm test`.
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    include: ['test/fleet/**/*.test.ts'],
    // The first run builds the server with go install; a fleet run drives hundreds of workflows.
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
    maxWorkers: 1,
  },
});
