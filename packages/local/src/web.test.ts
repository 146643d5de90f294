import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { linkedAssets, warmDashboard } from "./web.js";

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
