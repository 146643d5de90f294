import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { PortInUseError } from "./ports.js";
import { REPO_ROOT } from "./paths.js";
import { childEnv, startChild, type SupervisedChild } from "./servers/child.js";
import {
  BUILD_PLACEHOLDERS,
  buildKey,
  buildLayout,
  builtKey,
  DIST_DIR_VAR,
  prepareServeDir,
  withBuildLock,
  writeStamp,
} from "./web-build.js";

/**
 * The dashboard on the web port, configured through the same NEXT_PUBLIC_* variables the
 * deployed site gets from the stacks. By default a production build (`next start`), built on
 * the first start and after a change to packages/web (web-build.ts); for work on the dashboard,
 * `next dev` with hot reload.
 */

export const WEB_DIR = join(REPO_ROOT, "packages", "web");
const LOCKFILE = join(REPO_ROOT, "package-lock.json");

/** "production": `next build` once, then `next start`. "dev": `next dev` (hot reload). */
export type WebMode = "production" | "dev";

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

function nextBin(webDir = WEB_DIR): string {
  if (!existsSync(join(webDir, "package.json"))) {
    throw new Error(
      `The dashboard cannot start: ${webDir} does not exist. Start without it: npm start -- --no-web`,
    );
  }
  try {
    return createRequire(join(webDir, "package.json")).resolve("next/dist/bin/next");
  } catch {
    throw new Error(
      "The dashboard cannot start: Next.js is not installed (run npm install), or start without it: npm start -- --no-web",
    );
  }
}

/** Environment of a Next.js child: an inherited NODE_ENV (a test runner's "test") upsets it. */
function nextEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = childEnv({ NEXT_TELEMETRY_DISABLED: "1", ...extra });
  delete env.NODE_ENV;
  return env;
}

/**
 * Makes sure the local production build matches the dashboard's current sources, building it
 * if not (`<logDir>/web-build.log`), and with `serve`, copies it with a runtime's settings.
 * Returns whether it built.
 */
export async function prepareProductionBuild(options: {
  logDir: string;
  serve?: { dir: string; settings: Record<string, string> };
  /** Default packages/web and the repository's lockfile. */
  webDir?: string;
  lockfile?: string;
  progress?: (message: string) => void;
}): Promise<{ built: boolean }> {
  const webDir = options.webDir ?? WEB_DIR;
  const layout = buildLayout(webDir);
  const progress = options.progress ?? (() => undefined);
  const bin = nextBin(webDir);
  const key = await buildKey(webDir, options.lockfile ?? LOCKFILE);
  return withBuildLock(
    layout.lock,
    async () => {
      let built = false;
      if ((await builtKey(layout.stamp, layout.build)) !== key) {
        progress(
          "Building the dashboard (next build; on the first start and after a change to packages/web, about a minute)…",
        );
        await rm(layout.stamp, { force: true });
        const logFile = join(options.logDir, "web-build.log");
        const build = await startChild({
          name: "dashboard build (next build)",
          command: process.execPath,
          args: [bin, "build"],
          cwd: webDir,
          env: nextEnv({ ...BUILD_PLACEHOLDERS, [DIST_DIR_VAR]: relative(webDir, layout.build) }),
          logFile,
          // Runs under the guard (it ends with this process); done when it exits.
          ready: () => Promise.resolve(true),
          readyTimeoutMs: 1000,
        });
        const { code, signal } = await build.exited;
        if (code !== 0)
          throw new Error(
            `the dashboard build failed (${code ?? signal}); see ${logFile}, or start without the dashboard: npm start -- --no-web`,
          );
        await writeStamp(layout.stamp, key);
        built = true;
      }
      if (options.serve)
        await prepareServeDir(layout.build, options.serve.dir, options.serve.settings);
      return { built };
    },
    { onWait: () => progress("Waiting for another start's build of the dashboard…") },
  );
}

export async function startWeb(options: {
  port: number;
  logDir: string;
  settings: WebSettings;
  /** Default "production". */
  mode?: WebMode;
  /** The runtime's data directory: names its copy of the production build. */
  dataDir: string;
  /** A prepareProductionBuild (without `serve`) started earlier, to wait for first. */
  building?: Promise<unknown>;
  progress?: (message: string) => void;
  readyTimeoutMs?: number;
}): Promise<WebServer> {
  const url = `http://127.0.0.1:${options.port}`;
  const mode = options.mode ?? "production";
  const listen = ["--port", String(options.port), "--hostname", "127.0.0.1"];
  const settings = webEnv(options.settings);
  let serveDir: string | undefined;
  let args: string[];
  let env: NodeJS.ProcessEnv;
  if (mode === "production") {
    serveDir = buildLayout(WEB_DIR).serveDir(options.dataDir);
    await options.building;
    await prepareProductionBuild({
      logDir: options.logDir,
      serve: {
        dir: serveDir,
        settings: Object.fromEntries(
          Object.entries(settings).filter(([name]) => name.startsWith("NEXT_PUBLIC_")),
        ),
      },
      progress: options.progress,
    });
    args = [nextBin(), "start", ...listen];
    env = nextEnv({ ...settings, [DIST_DIR_VAR]: relative(WEB_DIR, serveDir) });
  } else {
    args = [nextBin(), "dev", ...listen];
    env = nextEnv(settings);
  }
  const child = await startChild({
    name: `dashboard (next ${mode === "production" ? "start" : "dev"})`,
    command: process.execPath,
    args,
    cwd: WEB_DIR,
    env,
    logFile: join(options.logDir, "web.log"),
    // next dev compiles the page, and then the icon it links, on their first request: asking
    // for them before saying "ready" means the dashboard opens at once. For next start it is
    // only the check that it answers.
    ready: () => warmDashboard(url, 120_000),
    readyTimeoutMs: options.readyTimeoutMs ?? 240_000,
  }).catch(async (err: Error) => {
    if (serveDir) await rm(serveDir, { recursive: true, force: true });
    if (err.message.includes("EADDRINUSE")) throw new PortInUseError("web", options.port);
    throw err;
  });
  const close = async () => {
    await child.stop();
    if (serveDir) await rm(serveDir, { recursive: true, force: true });
  };
  return { url, child, close };
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
