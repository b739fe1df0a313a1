// Debian's Chromium driven by playwright-core (never a downloaded browser), headless. Each launch gets a fresh,
// empty profile directory from Playwright itself (it refuses a --user-data-dir argument).
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { chromium, type BrowserContext, type BrowserContextOptions } from "playwright-core";

export const artifactsDir = resolve(import.meta.dirname, "../../test-artifacts");

export interface TestBrowser {
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  await mkdir(artifactsDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context: (options = {}) => browser.newContext(options),
    async close() {
      await browser.close();
    },
  };
}
