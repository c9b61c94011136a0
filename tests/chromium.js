// The browser every end-to-end test and the bench run: Debian's Chromium where it is installed (our CI
// machines cannot download Playwright's own build), with the flags a root user on a machine without
// internet needs. Plain JavaScript, so the bench (plain Node) and playwright.config.ts share it.

import { existsSync } from 'node:fs';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Playwright launch options: the executable, and flags that keep Chromium off the network and sandbox-free as root. */
export const CHROMIUM_LAUNCH = {
  executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
