/**
 * First-load JavaScript of the dashboard route, gzipped: what a browser downloads before the
 * page works, as `next build` counts it (the route's chunks plus the shared ones, polyfills for
 * old browsers excluded). The chart (Recharts) is loaded after the first paint and is reported
 * apart.
 *
 *   npx tsx bench/web-bundle.ts [--no-build] [--json]
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const WEB = fileURLToPath(new URL("../packages/web/", import.meta.url));
const NEXT_DIR = join(WEB, ".next");

export interface BundleResult {
  route: string;
  /** gzip bytes of everything the route loads up front */
  firstLoadGzipBytes: number;
  firstLoadRawBytes: number;
  files: { file: string; gzipBytes: number }[];
  /** gzip bytes of the lazily loaded chart chunks */
  lazyChartGzipBytes: number;
}

const gz = (file: string) => gzipSync(readFileSync(join(NEXT_DIR, file)), { level: 9 }).length;
const raw = (file: string) => readFileSync(join(NEXT_DIR, file)).length;

export function measureFirstLoadJs(opts: { build?: boolean } = {}): BundleResult {
  if (opts.build ?? true) {
    const nextBin = join(WEB, "node_modules", ".bin", "next");
    const bin = (() => {
      try {
        readFileSync(nextBin);
        return nextBin;
      } catch {
        return join(WEB, "..", "..", "node_modules", ".bin", "next");
      }
    })();
    execFileSync(bin, ["build"], {
      cwd: WEB,
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
  }
  const app = JSON.parse(readFileSync(join(NEXT_DIR, "app-build-manifest.json"), "utf8")) as {
    pages: Record<string, string[]>;
  };
  const build = JSON.parse(readFileSync(join(NEXT_DIR, "build-manifest.json"), "utf8")) as {
    rootMainFiles: string[];
  };
  const route = "/page";
  const js = new Set(
    [...build.rootMainFiles, ...(app.pages["/layout"] ?? []), ...(app.pages[route] ?? [])].filter(
      (f) => f.endsWith(".js"),
    ),
  );
  const files = [...js]
    .map((file) => ({ file, gzipBytes: gz(file) }))
    .sort((a, b) => b.gzipBytes - a.gzipBytes);

  const loadable = JSON.parse(
    readFileSync(join(NEXT_DIR, "react-loadable-manifest.json"), "utf8"),
  ) as Record<string, { files: string[] }>;
  const lazy = new Set<string>();
  for (const [key, entry] of Object.entries(loadable)) {
    if (key.includes("PriceChart"))
      for (const f of entry.files) if (f.endsWith(".js") && !js.has(f)) lazy.add(f);
  }
  return {
    route: "/",
    firstLoadGzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
    firstLoadRawBytes: [...js].reduce((s, f) => s + raw(f), 0),
    files,
    lazyChartGzipBytes: [...lazy].reduce((s, f) => s + gz(f), 0),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const r = measureFirstLoadJs({ build: !args.includes("--no-build") });
  if (args.includes("--json")) console.log(JSON.stringify(r));
  else {
    const kB = (b: number) => `${(b / 1000).toFixed(1)} kB`;
    for (const f of r.files) console.log(`  ${kB(f.gzipBytes).padStart(9)}  ${f.file}`);
    console.log(
      `first-load JS of ${r.route}: ${kB(r.firstLoadGzipBytes)} gzip (${kB(r.firstLoadRawBytes)} raw); chart, loaded after first paint: ${kB(r.lazyChartGzipBytes)} gzip`,
    );
  }
}
