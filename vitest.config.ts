import { defineConfig } from 'vitest/config';

/**
 * Five projects: pure unit tests; the replay corpus on the current workflow code; integration tests on a real Temporal dev server and a real
 * database (one of each per run, see test/support/global-setup.ts); time-skipping tests, each
 * on its own time-skipping test server; and browser tests of the dashboard (Playwright driving Debian's
 * chromium) on a dev server of their own with its Web UI.
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          // The replay corpus (test/replay/histories) on the current workflow code: no server needed.
          name: 'replay',
          include: ['test/replay/**/*.test.ts'],
          // A first run may build the workflow bundle (see test/support/workflow-bundle.ts).
          testTimeout: 180_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The real LiteLLM proxy test needs the proxy `npm test` installs when python3 is present.
          exclude: process.env.WARDEN_LITELLM_BIN ? [] : ['test/integration/gateways/litellm-proxy.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores: more files at once only makes every workflow slower.
          maxWorkers: 2,
          // A worker process runs file after file on the modules it has loaded (the SDK, the
          // activities, the clients) instead of importing them again for every file: each file
          // still has a worker, task queue and data directory of its own.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'timeskip',
          include: ['test/timeskip/**/*.test.ts'],
          // The run's workflow bundle, shared with the integration tests (see timeskip-setup.ts).
          globalSetup: ['test/support/timeskip-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Each file waits on its own server most of the time; two at once fit the two cores.
          maxWorkers: 2,
          // As in the integration project: the modules are loaded once per worker process.
          isolate: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          // Its own dev server, with the Web UI the tests open (see global-setup.ts).
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
