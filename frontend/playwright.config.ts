// Playwright drives Debian's Chromium (no browser download) against the real backend, started
// by e2e/global-setup.ts: Django serving the built app, and a real Celery worker.
import { defineConfig } from '@playwright/test'

import { E2E_PORT } from './e2e/backend'

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results/artifacts',
  timeout: 180_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  globalSetup: './e2e/global-setup.ts',
  globalTeardown: './e2e/global-teardown.ts',
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    viewport: { width: 1400, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    },
  },
})
