import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { linkedAssets, prepareProductionBuild, warmDashboard } from "./web.js";
import { buildLayout, DIST_DIR_VAR, SETTINGS_GLOBAL } from "./web-build.js";

const PAGE = `<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/_next/static/css/app/layout.css?v=1" data-precedence="x"/>
<link rel="preload" as="script" fetchPriority="low" href="/_next/static/chunks/webpack.js?v=1"/>
<script src="/_next/static/chunks/main-app.js?v=1" async=""></script>
<link rel="icon" href="/icon.svg?abc&amp;x=1" type="image/svg+xml"/>
<link rel="preconnect" href="https://elsewhere.example"/>
<script>self.__next_f=[]</script>
<script src="/_next/static/chunks/webpack.js?v=1"></script>
<a href="/not-an-asset">x</a>
</head></html>`;

describe("dashboard warm-up", () => {
  it("finds the same-origin scripts, styles and icon a page links, once each", () => {
    expect(linkedAssets(PAGE, "http://127.0.0.1:3000")).toEqual([
      "http://127.0.0.1:3000/_next/static/css/app/layout.css?v=1",
      "http://127.0.0.1:3000/_next/static/chunks/webpack.js?v=1",
      "http://127.0.0.1:3000/_next/static/chunks/main-app.js?v=1",
      "http://127.0.0.1:3000/icon.svg?abc&x=1",
    ]);
    expect(linkedAssets("<p>no links</p>", "http://127.0.0.1:3000/")).toEqual([]);
  });

  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(
    answer: (path: string) => { status: number; body: string; delayMs?: number },
  ) {
    const asked: string[] = [];
    server = createServer((req, res) => {
      asked.push(req.url!);
      const a = answer(req.url!);
      setTimeout(() => res.writeHead(a.status).end(a.body), a.delayMs ?? 0);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
  }

  it("asks for the page and then for everything it links, error answers included", async () => {
    const { url, asked } = await serve((path) =>
      path === "/"
        ? { status: 200, body: PAGE }
        : { status: path.startsWith("/icon") ? 500 : 200, body: "" },
    );
    expect(await warmDashboard(url, 5000)).toBe(true);
    expect(asked[0]).toBe("/");
    expect(asked.slice(1).sort()).toEqual([
      "/_next/static/chunks/main-app.js?v=1",
      "/_next/static/chunks/webpack.js?v=1",
      "/_next/static/css/app/layout.css?v=1",
      "/icon.svg?abc&x=1",
    ]);
  });

  it("is not ready while the server is down or a file outlasts the timeout", async () => {
    const { url } = await serve((path) =>
      path === "/"
        ? { status: 200, body: PAGE }
        : { status: 200, body: "", delayMs: path.startsWith("/icon") ? 2000 : 0 },
    );
    expect(await warmDashboard(url, 300)).toBe(false);
    expect(await warmDashboard("http://127.0.0.1:1", 300)).toBe(false);
  });
});

/**
 * A stand-in for `next build`: notes how it was run in builds.jsonl and writes a prerendered
 * page where the local build goes; fails while a file "fail" exists.
 */
const FAKE_NEXT = `
const fs = require("node:fs"), path = require("node:path");
const dist = process.env.${DIST_DIR_VAR};
fs.appendFileSync("builds.jsonl", JSON.stringify({
  args: process.argv.slice(2), dist, api: process.env.NEXT_PUBLIC_API_URL,
  nodeEnv: process.env.NODE_ENV ?? null,
}) + "\\n");
if (fs.existsSync("fail")) { console.error("Type error: boom"); process.exit(3); }
fs.mkdirSync(path.join(dist, "server", "app"), { recursive: true });
fs.writeFileSync(path.join(dist, "BUILD_ID"), "id");
fs.writeFileSync(path.join(dist, "server", "app", "index.html"), "<html><head></head><body></body></html>");
`;

describe("the dashboard's production build for npm start", () => {
  let dir: string | undefined;
  afterEach(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  async function webPackage() {
    dir = await mkdtemp(join(tmpdir(), "tickstream-web-"));
    const web = join(dir, "web");
    await mkdir(join(web, "src"), { recursive: true });
    await mkdir(join(web, "node_modules", "next", "dist", "bin"), { recursive: true });
    await writeFile(join(web, "package.json"), "{}");
    await writeFile(join(web, "src", "page.tsx"), "1");
    await writeFile(join(web, "node_modules", "next", "package.json"), '{"name":"next"}');
    await writeFile(join(web, "node_modules", "next", "dist", "bin", "next"), FAKE_NEXT);
    await writeFile(join(dir, "package-lock.json"), "{}");
    const builds = async () =>
      existsSync(join(web, "builds.jsonl"))
        ? (await readFile(join(web, "builds.jsonl"), "utf8"))
            .trim()
            .split("\n")
            .map(
              (l) =>
                JSON.parse(l) as {
                  args: string[];
                  dist: string;
                  api: string;
                  nodeEnv: string | null;
                },
            )
        : [];
    const prepare = (serve: string, api: string) =>
      prepareProductionBuild({
        webDir: web,
        lockfile: join(dir!, "package-lock.json"),
        logDir: join(dir!, "logs"),
        serve: {
          dir: join(web, ".next", "cache", "local", serve),
          settings: { NEXT_PUBLIC_API_URL: api },
        },
      });
    return { web, builds, prepare };
  }

  it("builds once with placeholders, then only after a source change; each copy has its own settings", async () => {
    const { web, builds, prepare } = await webPackage();
    const prevEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = "test";
    try {
      expect(await prepare("serve-a", "http://127.0.0.1:1111")).toEqual({ built: true });
    } finally {
      process.env.NODE_ENV = prevEnv;
    }
    expect(await builds()).toEqual([
      {
        args: ["build"],
        dist: ".next/cache/local/build",
        api: "http://api.placeholder.invalid",
        nodeEnv: null,
      },
    ]);
    expect(await prepare("serve-b", "http://127.0.0.1:2222")).toEqual({ built: false });
    expect(await builds()).toHaveLength(1);
    const page = (serve: string) =>
      readFile(join(web, ".next", "cache", "local", serve, "server", "app", "index.html"), "utf8");
    expect(await page("serve-a")).toContain(
      `${SETTINGS_GLOBAL}={"NEXT_PUBLIC_API_URL":"http://127.0.0.1:1111"}`,
    );
    expect(await page("serve-b")).toContain("http://127.0.0.1:2222");
    expect(await page("serve-b")).not.toContain("1111");

    await writeFile(join(web, "src", "page.tsx"), "2");
    expect(await prepare("serve-a", "http://127.0.0.1:1111")).toEqual({ built: true });
    expect(await builds()).toHaveLength(2);
  });

  it("says where the log is when the build fails, and builds again on the next start", async () => {
    const { web, builds, prepare } = await webPackage();
    await writeFile(join(web, "fail"), "");
    await expect(prepare("serve-a", "http://x")).rejects.toThrow(
      /dashboard build failed \(3\).*web-build\.log/,
    );
    expect(await readFile(join(dir!, "logs", "web-build.log"), "utf8")).toContain(
      "Type error: boom",
    );
    expect(existsSync(buildLayout(web).lock)).toBe(false);
    await rm(join(web, "fail"));
    expect(await prepare("serve-a", "http://x")).toEqual({ built: true });
    expect(await builds()).toHaveLength(2);
  });
});
