import { table } from "../report.js";
import type { LatencySummary } from "../stats.js";
import type { Benchmark, Results, SectionResult } from "../types.js";
import { measureFirstLoadJs, type BundleResult } from "../web-bundle.js";
import { measureColdStart, type ColdStartResult } from "../web-cold-start.js";
import { measureWebLatency, type WebLatencyResult } from "../web-latency.js";
import type { PipelineData } from "./pipeline.js";

/**
 * The dashboard: first-load JavaScript of its route (a production `next build`), the time from a
 * tick put into the stream to the chart drawing it, in headless Chromium, and the time from
 * `npm start` in a fresh clone (no `.next`) to the chart on screen after sign-in. The baseline
 * for the latency is the same path without the browser: put to API, from the pipeline
 * benchmark, so the difference is what the page's poll and render add.
 *
 * Not part of `--quick`: the production build alone takes longer than the quick budget.
 */

export interface DashboardResult {
  bundle: BundleResult;
  latency: WebLatencyResult;
  /** Absent in results of runs made before it was measured. */
  coldStart?: ColdStartResult;
}

/**
 * The baseline of the tick-to-chart latency: put to API at 100 ticks/s, from the pipeline
 * benchmark's run of this design, when there is one.
 */
export function putToApiLatency(all: Results): LatencySummary | undefined {
  const pipeline = all.sections.pipeline?.data as PipelineData | undefined;
  const design = pipeline?.variants.find((v) => v.variant === "design");
  return design?.latency.find((l) => l.rate === 100)?.api ?? undefined;
}

export const AIMS = { firstLoadGzipBytes: 300_000, tickToChartP95Ms: 2500 };

// kB = 1,000 bytes, as next build and bench/web-bundle.ts count them
const kb = (b: number) => `${(b / 1000).toFixed(1)} kB`;

export const dashboard: Benchmark<DashboardResult> & { skipInQuick: true } = {
  name: "dashboard",
  title: "dashboard first-load JS and tick-to-chart latency (headless Chromium)",
  skipInQuick: true,
  async run(ctx) {
    ctx.log("dashboard: next build (production) for the first-load JS");
    const bundle = measureFirstLoadJs({ build: true });
    ctx.log(`dashboard: first-load JS ${kb(bundle.firstLoadGzipBytes)} gzip`);
    const latency = await measureWebLatency({ ticks: 40, log: (m) => ctx.log(`dashboard: ${m}`) });
    const coldStart = await measureColdStart({
      log: (m) => ctx.log(`dashboard: cold start: ${m}`),
    });
    return { bundle, latency, coldStart };
  },
  render(r: SectionResult<DashboardResult>, all: Results): string {
    if (!r.data) return `_Failed: ${r.error ?? "no data"}._`;
    const { bundle, latency, coldStart } = r.data;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const apiP95 = putToApiLatency(all)?.p95;
    return [
      `Command: \`${r.meta.command}\` (or alone: \`npx tsx bench/web-bundle.ts\`, \`npx tsx bench/web-latency.ts --ticks 40\`, \`npx tsx bench/web-cold-start.ts\`), ${r.meta.ranAt}.`,
      "",
      table(
        ["figure", "measured", "aim", "within aim"],
        [
          [
            "first-load JS of `/`, gzip (raw)",
            `${kb(bundle.firstLoadGzipBytes)} (${kb(bundle.firstLoadRawBytes)})`,
            kb(AIMS.firstLoadGzipBytes),
            bundle.firstLoadGzipBytes <= AIMS.firstLoadGzipBytes ? "yes" : "no",
          ],
          [
            "chart chunk, loaded after the first paint, gzip",
            kb(bundle.lazyChartGzipBytes),
            "",
            "",
          ],
          [
            `tick put → chart, p50 / p95 (min / max) over ${latency.ticks} ticks`,
            `${latency.p50Ms} / ${latency.p95Ms} ms (${latency.minMs} / ${latency.maxMs})`,
            `p95 ${AIMS.tickToChartP95Ms} ms`,
            latency.p95Ms <= AIMS.tickToChartP95Ms ? "yes" : "no",
          ],
          ...(coldStart
            ? [
                [
                  "`npm start` → chart after sign-in, fresh clone (no `.next`)",
                  s(coldStart.spawnToChartMs),
                  "",
                  "",
                ],
                [
                  "… of which: `npm start` until it says running (dashboard built and answering)",
                  s(coldStart.spawnToReadyMs),
                  "",
                  "",
                ],
                [
                  "… then: page to sign-in form / sign-in to chart",
                  `${s(coldStart.readyToSignInFormMs)} / ${s(coldStart.signInToChartMs)}`,
                  "",
                  "",
                ],
              ]
            : []),
          ...(apiP95 !== undefined
            ? [
                [
                  "baseline: tick put → API at 100 ticks/s, p95 (§3)",
                  `${Math.round(apiP95)} ms`,
                  "",
                  "",
                ],
              ]
            : []),
        ],
        ["l", "r", "r", "l"],
      ),
      "",
      `The dashboard ran under \`${latency.server}\`, as \`npm start\` serves it; the latency includes the consumers' one-second batching window, the page's one-second poll and React's render.`,
      ...(coldStart
        ? [
            "",
            "The cold start runs `npm start -- --auto-ports` (tick generator on) in a copy of the working tree with the installed `node_modules` linked and no `.next`, as after a clone and `npm install`; `npm start` builds the dashboard there (`next build`, while the local servers start; later starts reuse the build until packages/web or the lockfile changes) and reports running once `next start` has answered for the page and every file it links. Chromium is already open; the time ends when the signed-in page has drawn the chart.",
          ]
        : []),
    ].join("\n");
  },
};
