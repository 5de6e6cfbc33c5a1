// Browser tests against the real release binary, started on a fresh data directory (its own
// embedded Postgres) unless E2E_BASE_URL points at a running server.
import { defineConfig } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_PASSWORD } from './tests/fixtures/constants';

const externalUrl = process.env.E2E_BASE_URL;
const baseURL = externalUrl ?? 'http://127.0.0.1:18080';

// The config is loaded by the runner and again by every worker; the environment variable makes
// them share one directory instead of each creating an unused one.
process.env.E2E_VIGIL_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-'));

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'on-first-retry',
    screenshot: 'only-on-failure',
    // Start every test in the dark theme so screenshots and theme assertions are stable.
    colorScheme: 'dark',
    viewport: { width: 1360, height: 860 },
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: externalUrl
    ? undefined
    : {
        command: '../target/release/vigil serve',
        url: 'http://127.0.0.1:18080/api/v1/health',
        timeout: 120_000,
        reuseExistingServer: false,
        // SIGTERM, so that Vigil stops its embedded Postgres; the default
        // SIGKILL left the cluster running after every run.
        gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
        stdout: 'pipe',
        stderr: 'pipe',
        env: {
          VIGIL_LISTEN: '127.0.0.1:18080',
          VIGIL_DATA_DIR: process.env.E2E_VIGIL_DATA_DIR,
          VIGIL_STATIC_DIR: path.resolve(__dirname, '..', 'dist'),
          VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
        },
      },
});
