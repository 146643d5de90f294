import { existsSync } from "node:fs";
import { chromium, type BrowserContext } from "playwright-core";
import { npmChromium } from "./npm-chromium.js";

/** Debian's Chromium, used when installed. */
export const SYSTEM_CHROMIUM = "/usr/bin/chromium";

export interface ChromiumBinary {
  executablePath: string;
  /** Where it came from: CHROMIUM_PATH, the system's package, or the npm package. */
  source: "CHROMIUM_PATH" | "system" | "npm";
  /** Extra environment of the browser process. */
  env: Record<string, string>;
}

/**
 * The browser the tests and benchmarks drive, never one downloaded at run time: CHROMIUM_PATH if
 * set, else /usr/bin/chromium if present, else the Chromium shipped in the `@sparticuz/chromium`
 * npm package.
 */
export async function findChromium(): Promise<ChromiumBinary> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv}: no such file`);
    return { executablePath: fromEnv, source: "CHROMIUM_PATH", env: {} };
  }
  if (existsSync(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, source: "system", env: {} };
  }
  const shipped = await npmChromium();
  return { executablePath: shipped.executablePath, source: "npm", env: shipped.env };
}

// Without the background-networking flags Chromium keeps dialling Google's hosts, which a
// closed network refuses many at a time; --no-sandbox because tests may run as root. The npm
// build needs nothing more: with --disable-gpu it never looks for its software GL.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Headless Chromium with a profile of its own in `profileDir`. */
export async function launchChromium(
  profileDir: string,
  viewport?: { width: number; height: number },
): Promise<BrowserContext> {
  const binary = await findChromium();
  return chromium.launchPersistentContext(profileDir, {
    executablePath: binary.executablePath,
    env: { ...process.env, ...binary.env },
    headless: true,
    args: CHROMIUM_ARGS,
    ...(viewport ? { viewport } : {}),
  });
}
