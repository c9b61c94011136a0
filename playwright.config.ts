import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_LAUNCH } from './tests/chromium.js';
import {
  APP_ORIGIN,
  ISSUER,
  API_BASE_URL,
  SANDBOX_PORTS,
  CANARY,
  M2M_ENV,
  METRICS_TOKEN,
  INTROSPECTION_ENV,
} from './tests/harness';

/**
 * A tablet descriptor from Playwright's device list, run in Chromium (the iPad descriptors default
 * to WebKit, which our CI machines do not have): its viewport, pixel ratio, user agent, touch and
 * mobile emulation are kept.
 */
function tablet(name: keyof typeof devices) {
  return { ...devices[name], browserName: 'chromium' as const, defaultBrowserType: 'chromium' as const };
}

export default defineConfig({
  testDir: 'tests',
  // The sandbox's counters are shared, and the machine has two cores: one test at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  reporter: [['list']],
  use: {
    baseURL: APP_ORIGIN,
    trace: 'retain-on-failure',
    // page.route() cannot see requests a service worker makes; specs that need it opt in.
    serviceWorkers: 'block',
    launchOptions: CHROMIUM_LAUNCH,
  },
  projects: [
    // Every test, on a desktop.
    { name: 'chromium', use: { ...devices['Desktop Chrome'] } },
    // The core tests (tagged @device: sign-in, offline, the queue, target sizes) on emulated tablets, with touch.
    { name: 'ipad', grep: /@device/, use: tablet('iPad Pro 11') },
    { name: 'android-tablet', grep: /@device/, use: tablet('Galaxy Tab S4') },
  ],
  webServer: [
    {
      command: 'node sandbox/index.js',
      url: `${ISSUER}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      env: {
        SANDBOX_ISSUER_PORT: String(SANDBOX_PORTS.issuer),
        SANDBOX_API_PORT: String(SANDBOX_PORTS.api),
        SANDBOX_M2M_PORT: String(SANDBOX_PORTS.m2m),
        SANDBOX_FENERGO_SECRET: CANARY.fenergoSecret,
        SANDBOX_FENRIS_SECRET: CANARY.fenrisSecret,
        SANDBOX_INTROSPECTION_SECRET: CANARY.introspectionSecret,
        SANDBOX_APP_ORIGINS: APP_ORIGIN,
      },
    },
    {
      // The production build (`npm run test:e2e` builds it first), as `node build` serves it.
      command: 'node build',
      url: APP_ORIGIN,
      reuseExistingServer: false,
      env: {
        HOST: '127.0.0.1',
        PORT: new URL(APP_ORIGIN).port,
        ORIGIN: APP_ORIGIN,
        PUBLIC_FENTU_ISSUER: ISSUER,
        PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
        PUBLIC_FENTU_API_BASE_URL: API_BASE_URL,
        METRICS_TOKEN,
        ...M2M_ENV,
        ...INTROSPECTION_ENV,
      },
    },
  ],
});
