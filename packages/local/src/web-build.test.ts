import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  buildInputs,
  buildKey,
  buildLayout,
  builtKey,
  prepareServeDir,
  SETTINGS_GLOBAL,
  settingsScript,
  withBuildLock,
  withSettings,
  writeStamp,
} from "./web-build.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tickstream-web-build-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function put(path: string, content: string) {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, content);
}

/** A web package with a page, a test, a public file and a lockfile beside it. */
async function webPackage() {
  const web = join(dir, "web");
  await put(join(web, "package.json"), "{}");
  await put(join(web, "next.config.mjs"), "export default {}");
  await put(join(web, "src", "app", "page.tsx"), "export default 1");
  await put(join(web, "src", "lib", "a.test.ts"), "test");
  await put(join(web, "public", "icon.svg"), "<svg/>");
  await put(join(web, ".next", "cache", "x"), "generated");
  await put(join(dir, "package-lock.json"), "{}");
  return { web, lockfile: join(dir, "package-lock.json") };
}

describe("the local dashboard build's key", () => {
  it("covers the sources, public files, settings and lockfile, not tests or .next", async () => {
    const { web, lockfile } = await webPackage();
    const inputs = (await buildInputs(web, lockfile)).map((f) => f.slice(dir.length + 1));
    expect(inputs).toEqual([
      "package-lock.json",
      "web/next.config.mjs",
      "web/package.json",
      "web/public/icon.svg",
      "web/src/app/page.tsx",
    ]);
  });

  it("changes when a source, the config or the lockfile changes, and only then", async () => {
    const { web, lockfile } = await webPackage();
    const first = await buildKey(web, lockfile);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await buildKey(web, lockfile)).toBe(first);

    await writeFile(join(web, "src", "lib", "a.test.ts"), "another test");
    await writeFile(join(web, ".next", "cache", "x"), "other output");
    expect(await buildKey(web, lockfile)).toBe(first);

    const keys = new Set([first]);
    for (const [file, content] of [
      [join(web, "src", "app", "page.tsx"), "export default 2"],
      [join(web, "next.config.mjs"), "export default { a: 1 }"],
      [lockfile, '{"v":2}'],
      [join(web, "src", "app", "new.tsx"), ""],
    ] as const) {
      await put(file, content);
      const key = await buildKey(web, lockfile);
      expect(keys.has(key)).toBe(false);
      keys.add(key);
    }
    // A file moved keeps its content but not its key.
    await rm(join(web, "src", "app", "new.tsx"));
    const before = await buildKey(web, lockfile);
    await put(join(web, "src", "lib", "new.tsx"), "");
    expect(await buildKey(web, lockfile)).not.toBe(before);
  });

  it("counts a build only with its stamp and its files", async () => {
    const { web } = await webPackage();
    const layout = buildLayout(web);
    expect(await builtKey(layout.stamp, layout.build)).toBeUndefined();
    await writeStamp(layout.stamp, "k1");
    expect(await builtKey(layout.stamp, layout.build)).toBeUndefined(); // no build there
    await put(join(layout.build, "BUILD_ID"), "b");
    expect(await builtKey(layout.stamp, layout.build)).toBe("k1");
  });

  it("gives each data directory its own copy", () => {
    const layout = buildLayout("/repo/packages/web");
    expect(layout.serveDir("/a")).not.toBe(layout.serveDir("/b"));
    expect(layout.serveDir("/a")).toBe(layout.serveDir("/a"));
    expect(layout.serveDir("/a").startsWith("/repo/packages/web/.next/cache/local/")).toBe(true);
  });
});

describe("the settings of a runtime in its copy of the build", () => {
  const settings = { NEXT_PUBLIC_API_URL: "http://127.0.0.1:3001", NEXT_PUBLIC_REGION: "x" };

  it("defines the global first in the head", () => {
    const html =
      '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><script src="/a.js" async=""></script></head><body></body></html>';
    const out = withSettings(html, settings);
    expect(out.indexOf(SETTINGS_GLOBAL)).toBeGreaterThan(out.indexOf("<head>"));
    expect(out.indexOf(SETTINGS_GLOBAL)).toBeLessThan(out.indexOf("<meta"));
    const script = /<script>(.*?)<\/script>/.exec(out)![1]!;
    const sandbox: Record<string, unknown> = {};
    sandbox.globalThis = sandbox;
    runInNewContext(script, sandbox);
    expect(sandbox[SETTINGS_GLOBAL]).toEqual(settings);
    expect(() => withSettings("<html><body></body></html>", settings)).toThrow(/no <head>/);
  });

  it("lets no markup out of a value", () => {
    const script = settingsScript({ NEXT_PUBLIC_X: "</script><script>alert(1)</script>&" });
    expect(script.match(/<\/script>/g)).toHaveLength(1);
    const sandbox: Record<string, unknown> = {};
    sandbox.globalThis = sandbox;
    runInNewContext(/<script>(.*)<\/script>/.exec(script)![1]!, sandbox);
    expect(sandbox[SETTINGS_GLOBAL]).toEqual({
      NEXT_PUBLIC_X: "</script><script>alert(1)</script>&",
    });
  });

  it("copies the build without its compile cache and adds the settings to every page", async () => {
    const build = join(dir, "build");
    const page = "<html><head></head><body>splash</body></html>";
    await put(join(build, "BUILD_ID"), "b");
    await put(join(build, "server", "app", "index.html"), page);
    await put(join(build, "server", "pages", "404.html"), page);
    await put(join(build, "server", "app", "page.js"), "js");
    await put(join(build, "static", "chunks", "a.js"), "chunk");
    await put(join(build, "cache", "webpack", "big"), "cache");
    const serve = join(dir, "serve");
    await put(join(serve, "stale"), "from an earlier run");

    await prepareServeDir(build, serve, settings);
    expect(await readFile(join(serve, "static", "chunks", "a.js"), "utf8")).toBe("chunk");
    expect(await readFile(join(serve, "server", "app", "page.js"), "utf8")).toBe("js");
    for (const html of ["app/index.html", "pages/404.html"]) {
      expect(await readFile(join(serve, "server", html), "utf8")).toBe(
        withSettings(page, settings),
      );
    }
    expect(existsSync(join(serve, "cache"))).toBe(false);
    expect(existsSync(join(serve, "stale"))).toBe(false);
    // the build itself stays as built, for other runtimes
    expect(await readFile(join(build, "server", "app", "index.html"), "utf8")).toBe(page);
  });

  it("refuses a build that does not prerender the page", async () => {
    const build = join(dir, "build");
    await put(join(build, "server", "app", "page.js"), "js");
    await expect(prepareServeDir(build, join(dir, "serve"), settings)).rejects.toThrow(
      /did not prerender/,
    );
  });
});

describe("the build lock", () => {
  it("lets one holder in at a time", async () => {
    const lock = join(dir, "not", "yet", "build.lock");
    const events: string[] = [];
    let waits = 0;
    const holder = (name: string) =>
      withBuildLock(
        lock,
        async () => {
          events.push(`${name} in`);
          await new Promise((r) => setTimeout(r, 200));
          events.push(`${name} out`);
          return name;
        },
        { onWait: () => (waits += 1) },
      );
    expect(await Promise.all([holder("a"), holder("b")])).toEqual(["a", "b"]);
    // Either may win the race for the lock; what matters is that the other waits for it.
    const first = events[0]?.split(" ")[0];
    const second = first === "a" ? "b" : "a";
    expect(events).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    expect(waits).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over the lock of a process that is gone, and releases it after an error", async () => {
    const lock = join(dir, "build.lock");
    await put(join(lock, "owner.json"), JSON.stringify({ pid: 2 ** 22 + 1, start: null }));
    await expect(
      withBuildLock(lock, () => Promise.reject(new Error("build failed")), { timeoutMs: 2000 }),
    ).rejects.toThrow("build failed");
    expect(existsSync(lock)).toBe(false);
  });

  it("gives up on a lock held by a live process after the timeout", async () => {
    const lock = join(dir, "build.lock");
    await put(join(lock, "owner.json"), JSON.stringify({ pid: process.ppid, start: null }));
    await expect(withBuildLock(lock, async () => "never", { timeoutMs: 600 })).rejects.toThrow(
      new RegExp(`locked by process ${process.ppid}`),
    );
  });
});
