import type { Browser } from 'playwright-core';

/** Debian's chromium package. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, no sandbox (as root), no background networking: nothing leaves the machine. */
export async function launchChromium(): Promise<Browser> {
  // Loaded only here: the CLI's other commands do not pay for it.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
    timeout: 30_000,
  });
}
