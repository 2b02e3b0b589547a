import { chromium, type Browser } from 'playwright-core';
import { ensureDebianTool } from './debian.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium, headless, no sandbox (root), no background networking; undefined if absent. */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!ensureDebianTool(CHROMIUM, 'chromium')) return undefined;
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
