import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PortInUseError } from "./ports.js";
import { REPO_ROOT } from "./paths.js";
import { childEnv, startChild, type SupervisedChild } from "./servers/child.js";

/**
 * The dashboard in development mode: `next dev` in packages/web on the web port, configured
 * through the same NEXT_PUBLIC_* variables the deployed site gets from the stacks.
 */

export const WEB_DIR = join(REPO_ROOT, "packages", "web");

export interface WebSettings {
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  cognitoEndpoint: string;
  windowSizeMs: number;
  windowSlideMs: number;
}

export interface WebServer {
  url: string;
  child: SupervisedChild;
  close(): Promise<void>;
}

export function webEnv(s: WebSettings): Record<string, string> {
  return {
    NEXT_PUBLIC_API_URL: s.apiUrl,
    NEXT_PUBLIC_REGION: s.region,
    NEXT_PUBLIC_USER_POOL_ID: s.userPoolId,
    NEXT_PUBLIC_USER_POOL_CLIENT_ID: s.userPoolClientId,
    NEXT_PUBLIC_COGNITO_ENDPOINT: s.cognitoEndpoint,
    NEXT_PUBLIC_WINDOW_SIZE_MS: String(s.windowSizeMs),
    NEXT_PUBLIC_WINDOW_SLIDE_MS: String(s.windowSlideMs),
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

function nextBin(): string {
  if (!existsSync(join(WEB_DIR, "package.json"))) {
    throw new Error(
      `The dashboard cannot start: ${WEB_DIR} does not exist. Start without it: npm start -- --no-web`,
    );
  }
  try {
    return createRequire(join(WEB_DIR, "package.json")).resolve("next/dist/bin/next");
  } catch {
    throw new Error(
      "The dashboard cannot start: Next.js is not installed (run npm install), or start without it: npm start -- --no-web",
    );
  }
}

export async function startWeb(options: {
  port: number;
  logDir: string;
  settings: WebSettings;
  readyTimeoutMs?: number;
}): Promise<WebServer> {
  const url = `http://127.0.0.1:${options.port}`;
  const env = childEnv(webEnv(options.settings));
  // next dev decides NODE_ENV itself; an inherited "test" (from a test runner) upsets it.
  delete env.NODE_ENV;
  const child = await startChild({
    name: "dashboard (next dev)",
    command: process.execPath,
    args: [nextBin(), "dev", "--port", String(options.port), "--hostname", "127.0.0.1"],
    cwd: WEB_DIR,
    env,
    logFile: join(options.logDir, "web.log"),
    // next dev compiles the page, and then the icon it links, on their first request: asking
    // for them before saying "ready" means the dashboard opens at once.
    ready: () => warmDashboard(url, 120_000),
    readyTimeoutMs: options.readyTimeoutMs ?? 240_000,
  }).catch((err: Error) => {
    if (err.message.includes("EADDRINUSE")) throw new PortInUseError("web", options.port);
    throw err;
  });
  return { url, child, close: () => child.stop() };
}

/**
 * Same-origin files a page links from its `<script src>` and `<link href>` (scripts, styles,
 * the icon), as absolute URLs, each once.
 */
export function linkedAssets(html: string, pageUrl: string): string[] {
  const origin = new URL(pageUrl).origin;
  const found = new Set<string>();
  for (const tag of html.matchAll(/<(?:script|link)\b[^>]*>/gi)) {
    for (const attr of tag[0].matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)) {
      const raw = attr[1]!.replaceAll("&amp;", "&");
      if (!raw) continue;
      let url: URL;
      try {
        url = new URL(raw, pageUrl);
      } catch {
        continue;
      }
      if (url.origin === origin && url.href !== new URL(pageUrl).href) found.add(url.href);
    }
  }
  return [...found];
}

async function fetchText(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    return await res.text();
  } catch {
    return null;
  }
}

/**
 * Asks for the dashboard and every file it links, as a browser would on its first visit. True
 * once all of them answered (whatever the status: an error page is compiled too); false while
 * the server is not up yet or a compile outlasts `timeoutMs`, to be asked again.
 */
export async function warmDashboard(url: string, timeoutMs: number): Promise<boolean> {
  const html = await fetchText(url, timeoutMs);
  if (html === null) return false;
  const answers = await Promise.all(linkedAssets(html, url).map((a) => fetchText(a, timeoutMs)));
  return answers.every((a) => a !== null);
}
