import { defineConfig } from '@playwright/test';

// The server is started by scripts/e2e.sh (make e2e) and reached at FLUX_E2E_URL.
export default defineConfig({
  testDir: './tests',
  // A real SMTP server the Flux under test sends its e-mails to (see mail-sink.ts).
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: process.env.FLUX_E2E_URL ?? 'http://127.0.0.1:18080',
    locale: 'pt-BR',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright must never download a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
