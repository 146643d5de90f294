import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { readJson, writeJsonAtomic } from "./files.js";
import { isSameProcess, processStart } from "./servers/processes.js";

/**
 * The dashboard as `npm start` serves it: a production build (`next build`), made once and
 * again only when its inputs change, and a copy of it per runtime that carries the runtime's
 * settings.
 *
 * NEXT_PUBLIC_* settings are normally inlined into the browser code at build time, but every
 * runtime has its own ports and user pool. So the local build (next.config.mjs, when
 * TICKSTREAM_LOCAL_WEB_DIST_DIR is set) makes the browser code read them from a global, and
 * each runtime's copy of the built pages defines that global in an inline script. The hashed
 * chunks stay the same for every runtime, which is what their year-long cache headers assume.
 */

/** Read by next.config.mjs: the build directory, relative to packages/web. */
export const DIST_DIR_VAR = "TICKSTREAM_LOCAL_WEB_DIST_DIR";

/** The global the local build's browser code reads NEXT_PUBLIC_* from (next.config.mjs). */
export const SETTINGS_GLOBAL = "__TICKSTREAM_ENV__";

/**
 * What the server side of the build is made with. It only prerenders the page as it looks
 * before any setting is used (the splash), but the settings must pass the page's checks there.
 */
export const BUILD_PLACEHOLDERS: Readonly<Record<string, string>> = {
  NEXT_PUBLIC_API_URL: "http://api.placeholder.invalid",
  NEXT_PUBLIC_REGION: "placeholder-region",
  NEXT_PUBLIC_USER_POOL_ID: "placeholder_pool",
  NEXT_PUBLIC_USER_POOL_CLIENT_ID: "placeholder-client",
  NEXT_PUBLIC_COGNITO_ENDPOINT: "http://cognito.placeholder.invalid",
  NEXT_PUBLIC_WINDOW_SIZE_MS: "60000",
  NEXT_PUBLIC_WINDOW_SLIDE_MS: "10000",
};

/** Where the local build and the runtimes' copies live, under packages/web. */
export function buildLayout(webDir: string) {
  // Under .next/cache: `next build` for a deployment empties .next except its cache.
  const root = join(webDir, ".next", "cache", "local");
  return {
    root,
    build: join(root, "build"),
    /** The key of the inputs the build in `build` was made from. */
    stamp: join(root, "build.json"),
    lock: join(root, "build.lock"),
    /** One copy per data directory (one runtime at a time holds a data directory). */
    serveDir: (dataDir: string) =>
      join(root, `serve-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}`),
  };
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** The web package's files that go into a build: not its tests, not generated files. */
export async function buildInputs(webDir: string, lockfile: string): Promise<string[]> {
  const own = ["package.json", "next.config.mjs", "tsconfig.json"].map((f) => join(webDir, f));
  const trees = [
    ...(await listFiles(join(webDir, "src"))),
    ...(await listFiles(join(webDir, "public"))),
  ];
  const sources = trees.filter((f) => !/\.test\.tsx?$/.test(f));
  return [...own.filter((f) => existsSync(f)), ...sources, lockfile].sort();
}

/**
 * A hash of the build's inputs: every file's path and content, the placeholders and the
 * version of this recipe. Any change to one of them means a new build.
 */
export async function buildKey(webDir: string, lockfile: string): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ recipe: 1, placeholders: BUILD_PLACEHOLDERS }));
  for (const file of await buildInputs(webDir, lockfile)) {
    hash.update(`\0${relative(webDir, file)}\0`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex");
}

interface LockOwner {
  pid: number;
  start: string | null;
}

/**
 * Runs `fn` while holding the build lock (a directory: creating one is atomic). Runtimes
 * starting at once (tests, two terminals) build once and never copy a build being made. A lock
 * whose owner has died is taken over.
 */
export async function withBuildLock<T>(
  lockDir: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; onWait?: () => void } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  const ownerFile = join(lockDir, "owner.json");
  let waited = false;
  await mkdir(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockDir, { recursive: false });
      await writeJsonAtomic(ownerFile, { pid: process.pid, start: processStart(process.pid) });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = await readJson<LockOwner>(ownerFile).catch(() => undefined);
    // No owner file yet: its owner is between mkdir and write; ask again shortly.
    if (owner && !isSameProcess(owner.pid, owner.start)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(
        `the dashboard build is locked by process ${owner?.pid ?? "?"} (${lockDir}); ` +
          "remove that directory if no build runs",
      );
    if (!waited) opts.onWait?.();
    waited = true;
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

export async function builtKey(stamp: string, buildDir: string): Promise<string | undefined> {
  if (!existsSync(join(buildDir, "BUILD_ID"))) return undefined;
  return (await readJson<{ key: string }>(stamp).catch(() => undefined))?.key;
}

export async function writeStamp(stamp: string, key: string): Promise<void> {
  await writeJsonAtomic(stamp, { key, builtAt: new Date().toISOString() });
}

/**
 * An inline script defining the settings global, safe inside HTML: no `</script>` or other
 * markup can come out of a value.
 */
export function settingsScript(settings: Record<string, string>): string {
  const json = JSON.stringify(settings)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
  return `<script>globalThis.${SETTINGS_GLOBAL}=${json}</script>`;
}

/** The page with the settings script first in its head, before any of the page's scripts. */
export function withSettings(html: string, settings: Record<string, string>): string {
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (!head) throw new Error("a built page of the dashboard has no <head>");
  const at = head.index + head[0].length;
  return html.slice(0, at) + settingsScript(settings) + html.slice(at);
}

/**
 * Copies the build to `serveDir` (what `next start` needs: not the build's compile cache) and
 * adds the settings to every prerendered page. The build must prerender `/`: a page rendered on
 * request would come without the settings.
 */
export async function prepareServeDir(
  buildDir: string,
  serveDir: string,
  settings: Record<string, string>,
): Promise<void> {
  await rm(serveDir, { recursive: true, force: true });
  const skip = new Set(["cache", "trace", "types"].map((d) => join(buildDir, d)));
  await cp(buildDir, serveDir, { recursive: true, filter: (src) => !skip.has(src) });
  const pages = (await listFiles(join(serveDir, "server"))).filter((f) => f.endsWith(".html"));
  if (!pages.some((f) => f === join(serveDir, "server", "app", "index.html")))
    throw new Error(
      "the dashboard build did not prerender / (server/app/index.html): it must stay a static page for npm start",
    );
  for (const page of pages) {
    await writeFile(page, withSettings(await readFile(page, "utf8"), settings));
  }
}
