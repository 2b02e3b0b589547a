import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium as launch } from '../../src/util/chromium.js';
import { ensureDebianTool } from './debian.js';

export { CHROMIUM };

/** Debian's chromium (installed as root when missing), launched; undefined if it cannot be. */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!ensureDebianTool(CHROMIUM, 'chromium')) return undefined;
  return launch();
}
