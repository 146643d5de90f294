import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PortInUseError } from "./ports.js";
import { REPO_ROOT } from "./paths.js";
import { answersHttp, childEnv, startChild, type SupervisedChild } from "./servers/child.js";

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
    // The first request compiles the page: waiting for it means the dashboard opens fast.
    ready: () => answersHttp(url, 120_000),
    readyTimeoutMs: options.readyTimeoutMs ?? 240_000,
  }).catch((err: Error) => {
    if (err.message.includes("EADDRINUSE")) throw new PortInUseError("web", options.port);
    throw err;
  });
  return { url, child, close: () => child.stop() };
}
