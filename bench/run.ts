/**
 * `npm run bench` — every benchmark, each against its baseline in the same run.
 *
 *   npm run bench                  full run (about 10 minutes on 2 cores)
 *   npm run bench -- --quick       shorter runs, fewer repetitions, no dashboard (under 2 minutes)
 *   npm run bench -- --only NAME   one benchmark (or several: --only writes,cost)
 *
 * Writes bench/results.json (this run's sections merged over the previous file's) and
 * regenerates the generated blocks of BENCHMARKS.md, bench/cost.svg included.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo } from "./machine.js";
import { updateDocument } from "./report.js";
import type { BenchContext, Benchmark, LocalHandle, Results, SectionResult } from "./types.js";
import { throughput } from "./suites/throughput.js";
import { writes } from "./suites/writes.js";
import { pipeline } from "./suites/pipeline.js";
import { api } from "./suites/api.js";
import { cost } from "./suites/cost.js";
import { dashboard } from "./suites/dashboard.js";
import { header, skeleton, summary } from "./suites/document.js";
import { startLocalHost } from "./suites/local.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(BENCH_DIR, "..");
export const RESULTS_PATH = join(BENCH_DIR, "results.json");
export const DOC_PATH = join(ROOT, "BENCHMARKS.md");

export const BENCHMARKS: Benchmark[] = [throughput, writes, pipeline, api, cost, dashboard] as Benchmark[];

interface Args {
  quick: boolean;
  only: string[] | null;
  help: boolean;
  /** Regenerate BENCHMARKS.md from bench/results.json without running anything. */
  renderOnly?: boolean;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--quick") args.quick = true;
    else if (a === "--help" || a === "-h") args.help = true;
    else if (a === "--render-only") args.renderOnly = true;
    else if (a === "--only" || a.startsWith("--only=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (!v) throw new Error("--only needs a benchmark name");
      args.only = [...(args.only ?? []), ...v.split(",").map((s) => s.trim()).filter(Boolean)];
    } else throw new Error(`unknown argument: ${a}`);
  }
  if (args.only) {
    const names = new Set(BENCHMARKS.map((b) => b.name));
    for (const n of args.only) if (!names.has(n)) throw new Error(`unknown benchmark "${n}" (one of: ${[...names].join(", ")})`);
  }
  return args;
}

function commandLine(argv: string[]): string {
  return argv.length ? `npm run bench -- ${argv.join(" ")}` : "npm run bench";
}

function readResults(): Results {
  if (!existsSync(RESULTS_PATH)) return { updatedAt: new Date(0).toISOString(), sections: {} };
  try {
    return JSON.parse(readFileSync(RESULTS_PATH, "utf8")) as Results;
  } catch {
    return { updatedAt: new Date(0).toISOString(), sections: {} };
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.help) {
    console.log(`usage: npm run bench [-- --quick] [-- --only ${BENCHMARKS.map((b) => b.name).join("|")}] [-- --render-only]`);
    return;
  }
  // --quick leaves out what cannot fit its budget (the dashboard's production build) unless named.
  const selected = args.renderOnly
    ? []
    : BENCHMARKS.filter((b) => (args.only ? args.only.includes(b.name) : !(args.quick && "skipInQuick" in b)));
  const results = readResults();
  const started = Date.now();
  const log = (m: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}`);

  let local: Promise<LocalHandle> | undefined;
  const ctx: BenchContext = {
    quick: args.quick,
    log,
    results,
    local: () => {
      local ??= startLocalHost("design").then((h) => {
        log(`local back end (design) up in ${h.startSeconds.toFixed(1)} s`);
        return h;
      });
      return local;
    },
  };
  const stopLocal = async () => {
    if (local) await (await local.catch(() => undefined))?.stop().catch((e: unknown) => log(`stopping the local back end: ${String(e)}`));
  };
  process.once("SIGINT", () => void stopLocal().then(() => process.exit(130)));

  for (const b of selected) {
    log(`${b.name}: ${b.title}`);
    const t0 = Date.now();
    let section: SectionResult;
    try {
      const data = await b.run(ctx);
      section = { meta: meta(argv, args.quick, t0), data };
    } catch (err) {
      const message = err instanceof Error ? `${err.message}` : String(err);
      log(`${b.name} FAILED: ${message}`);
      if (err instanceof Error && err.stack) console.error(err.stack);
      section = { meta: meta(argv, args.quick, t0), error: message };
    }
    results.sections[b.name] = section;
    results.updatedAt = new Date().toISOString();
    writeFileSync(RESULTS_PATH, `${JSON.stringify(results, null, 2)}\n`);
    log(`${b.name}: done in ${section.meta.wallSeconds.toFixed(1)} s`);
  }

  await stopLocal();

  if (selected.length) {
    results.lastRun = { command: commandLine(argv), finishedAt: new Date().toISOString(), wallSeconds: (Date.now() - started) / 1000 };
    writeFileSync(RESULTS_PATH, `${JSON.stringify(results, null, 2)}\n`);
  }
  const sections: Record<string, string> = { header: header(results), summary: summary(results) };
  for (const b of BENCHMARKS) {
    const r = results.sections[b.name];
    sections[b.name] = r ? b.render(r, results) : `_Not run yet: \`npm run bench -- --only ${b.name}\`._`;
  }
  updateDocument(DOC_PATH, sections, skeleton());
  log(`wrote ${selected.length ? `${RESULTS_PATH} and ` : ""}${DOC_PATH} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function meta(argv: string[], quick: boolean, t0: number): SectionResult["meta"] {
  return { ranAt: new Date().toISOString(), command: commandLine(argv), quick, machine: machineInfo(), wallSeconds: (Date.now() - t0) / 1000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
