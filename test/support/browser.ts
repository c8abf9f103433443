// Chromium for browser tests: Debian's `chromium` driven by playwright-core. ensureChromium()
// finds it or, as root (CI on a fresh machine), installs it first; only test files that launch a
// browser pay for that, in their own beforeAll.
import { chromium, type Browser } from 'playwright-core';
import { ensureChromium } from '../../scripts/ensure-chromium.js';

/** Up to 15 minutes for a first install (apt-get update + chromium on a fresh machine). */
export const BROWSER_SETUP_TIMEOUT_MS = 15 * 60_000;

export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium({ onProgress: (line) => console.log(`[chromium] ${line}`) });
  return chromium.launch({
    executablePath,
    // Chromium refuses to run as root with its sandbox; CI runs as root.
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}
