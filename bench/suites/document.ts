import type { Results } from "../types.js";
import { putToApiLatency } from "./dashboard.js";

/** The generated head of BENCHMARKS.md: the machine, the command, the date. */
export function header(results: Results): string {
  const metas = Object.entries(results.sections).map(([name, s]) => ({ name, ...s.meta }));
  const m = metas.map((x) => x.machine).find(Boolean);
  const last = results.lastRun ?? {
    command: metas[metas.length - 1]?.command ?? "npm run bench",
    finishedAt: results.updatedAt,
    wallSeconds: metas.reduce((a, x) => a + x.wallSeconds, 0),
  };
  const lines = [`Last run: \`${last.command}\`, finished ${last.finishedAt}, ${last.wallSeconds.toFixed(0)} s wall time.`, ""];
  if (m) {
    lines.push(
      `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.platform} (kernel ${m.kernel}). Shared with other work and noisy (load averages below): every figure is a median over repetitions with its spread, and each is compared with a baseline measured in the same run.`,
      "",
    );
  }
  lines.push("| benchmark | command | finished | quick | wall time | load average (1 / 5 / 15 min) at its end |", "| --- | --- | --- | --- | ---: | --- |");
  for (const x of metas) lines.push(`| ${x.name} | \`${x.command}\` | ${x.ranAt} | ${x.quick ? "yes" : "no"} | ${x.wallSeconds.toFixed(0)} s | ${x.machine.loadAverage.join(" / ")} |`);
  return lines.join("\n");
}

/** BENCHMARKS.md as first written; later runs replace only the generated blocks. */
export function skeleton(): string {
  const block = (name: string) => `<!-- bench:${name}:start -->\n<!-- bench:${name}:end -->`;
  return `# Benchmarks

\`npm run bench\` runs every benchmark and writes \`bench/results.json\` and the generated parts
of this page; \`npm run bench -- --quick\` is the short form, \`npm run bench -- --only NAME\`
runs one (\`throughput\`, \`writes\`, \`pipeline\`, \`api\`, \`cost\`, \`dashboard\`). Benchmarks are not tests:
nothing here fails a build. Figures are what the last run measured on the machine it names.

## Summary

${block("summary")}

${block("header")}

## 1. Decode and aggregate throughput (in process)

${block("throughput")}

## 2. Write amplification (DynamoDB requests and write units per 1,000 ticks)

${block("writes")}

## 3. Local pipeline end to end

${block("pipeline")}

## 4. API under load

${block("api")}

## 5. Cost model: 1,000 ticks/s for 30 days

${block("cost")}

## 6. Dashboard

${block("dashboard")}
`;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const k = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e4 ? `${(v / 1e3).toFixed(v >= 1e5 ? 0 : 1)} k` : v.toFixed(0));
const x = (v: number) => (v >= 1000 ? Math.round(v).toLocaleString("en-US") : v >= 10 ? v.toFixed(0) : v.toFixed(1));
const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "n/a" : `${Math.round(v).toLocaleString("en-US")}`);

/** The headline figures of the last results, each with its baseline and ratio. */
export function summary(results: Results): string {
  const rows: string[][] = [];
  const sec = (n: string) => results.sections[n]?.data as any;
  const t = sec("throughput");
  if (t) {
    for (const format of ["pipe", "json"]) {
      const base = t.rows.find((r: any) => r.format === format && r.ratioToBaseline === null);
      const label = format === "pipe" ? "pipe records" : "JSON trades";
      const of = (records: string | undefined, kind: string) => t.rows.find((r: any) => r.format === format && (r.records ?? "one tick per record") === (records ?? "one tick per record") && (r.kind ?? r.candidate.split(":")[0]) === kind);
      // The headline: one tick per record and the first KPL packing; the section has the rest.
      for (const records of ["one tick per record", ...(t.packings ?? []).filter((p: string) => p.startsWith("kpl")).slice(0, 1)]) {
        const l = of(records, "latest");
        const w = of(records, "windows");
        if (base && l && w) rows.push([`decode + aggregate, ${label}, ${records}, ticks/s on one core (latest / windows)`, `${k(l.ticksPerSecond.median)} / ${k(w.ticksPerSecond.median)}`, k(base.ticksPerSecond.median), `${l.ratioToBaseline.median.toFixed(1)}x / ${w.ratioToBaseline.median.toFixed(1)}x`]);
      }
    }
  }
  const wr = sec("writes");
  if (wr) {
    const billed = (r: any) => r.per1000.wcuReported + r.per1000.conditionalFailures;
    const find = (c: string, i: number, b: number) => wr.rows.find((r: any) => r.consumer === c && r.instruments === i && r.batchSize === b && !r.costScenario && !r.error);
    for (const [i, b, label] of [
      [10, 1000, "DynamoDB write units per 1,000 ticks, 10 instruments, batches of 1,000 (latest / windows)"],
      [10, 100, "same, 10 instruments, batches of 100"],
      [1000, 1000, "same, 1,000 instruments, batches of 1,000"],
    ] as [number, number, string][]) {
      const l = find("latest", i, b);
      const w = find("windows", i, b);
      const base = find("baseline", i, b);
      if (!l || !w || !base) continue;
      const rel = (r: any) => {
        const q = billed(base) / billed(r);
        return q >= 1 ? `${x(q)}x fewer` : `${x(1 / q)}x more`;
      };
      rows.push([label, `${x(billed(l))} / ${x(billed(w))}`, x(billed(base)), `${rel(l)} / ${rel(w)}`]);
    }
  }
  const p = sec("pipeline");
  if (p) {
    const d = p.variants.find((v: any) => v.variant === "design" && v.packing !== "kpl");
    const dk = p.variants.find((v: any) => v.variant === "design" && v.packing === "kpl");
    const b = p.variants.find((v: any) => v.variant === "baseline");
    if (d && b && (d.steps.length || b.steps.length)) {
      const f = (v: any) => (v.maxSustained ? `${v.maxSustained.toLocaleString("en-US")} ticks/s` : "none of the steps");
      const ratio = (v: any) => (v?.maxSustained && b.maxSustained ? `${x(v.maxSustained / b.maxSustained)}x` : "n/a");
      if (dk?.steps.length) rows.push(["local pipeline, highest sustained put rate: KPL records / one tick per record", `${f(dk)} / ${f(d)}`, f(b), `${ratio(dk)} / ${ratio(d)}`]);
      else rows.push(["local pipeline, highest sustained put rate", f(d), f(b), ratio(d)]);
    }
    for (const rate of [100, 1000]) {
      const dl = d?.latency.find((l: any) => l.rate === rate);
      const bl = b?.latency.find((l: any) => l.rate === rate);
      if (!dl) continue;
      const three = (s: any) => (s ? `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)} ms` : "n/a");
      const baseCell = !bl ? "" : bl.timeouts > 0 ? `not keeping up: ${bl.probes} of ${bl.probes + bl.timeouts} probes seen within 10 s` : `${three(bl.table)} (its table)`;
      rows.push([`put-to-visible latency at ${rate.toLocaleString("en-US")} ticks/s, p50 / p95 / p99 (via the API)`, three(dl.api), baseCell, "§3"]);
    }
  }
  const a = sec("api");
  if (a) {
    const r = (route: string) => a.rows.find((y: any) => y.route === route);
    const h = r("GET /health");
    const i = r("GET /instruments");
    const w = r("GET /instruments/{id}/windows");
    if (h && i && w) rows.push([`API at ${a.rate} req/s offered, p50 / p99: \`/instruments\`, \`/windows\` (baseline \`/health\`)`, `${ms(i.p50.median)} / ${ms(i.p99.median)} ms, ${ms(w.p50.median)} / ${ms(w.p99.median)} ms`, `${ms(h.p50.median)} / ${ms(h.p99.median)} ms`, `${x(i.p50Ratio.median)}x / ${x(w.p50Ratio.median)}x the p50`]);
  }
  const c = sec("cost");
  if (c?.rates) {
    const usd = (v: number) => `$${Math.round(v).toLocaleString("en-US")}`;
    const span = (lo: number, hi: number) => (Math.round(lo) === Math.round(hi) ? usd(lo) : `${usd(lo)}–${usd(hi)}`);
    const times = (v: number) => `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}x`;
    const ratioSpan = (a: number, b: number) => (times(a) === times(b) ? times(a) : `${times(a)}–${times(b)}`);
    for (const rate of c.rates) {
      const get = (key: string) => rate.designs.find((d: any) => d.key === key);
      const seed = get("seed");
      for (const [label, single, packed] of [
        ["on-demand (prod stage)", get("ours-on-demand"), get("ours-on-demand-kpl")],
        ["provisioned", get("ours-provisioned"), get("ours-provisioned-kpl")],
      ] as [string, any, any][]) {
        if (!seed || !single || !packed) continue;
        const hi = (packed.high ?? packed.low).total;
        rows.push([
          `monthly cost at ${rate.ticksPerSecond.toLocaleString("en-US")} ticks/s, ${label}: KPL records / one tick per record`,
          `${span(packed.low.total, hi)} / ${usd(single.low.total)}`,
          usd(seed.low.total),
          `${ratioSpan(seed.low.total / packed.low.total, seed.low.total / hi)} / ${times(seed.low.total / single.low.total)} less`,
        ]);
      }
    }
  }
  const dash = sec("dashboard");
  if (dash) {
    const l = dash.latency;
    const api100 = putToApiLatency(results);
    rows.push([`dashboard: tick put → chart in Chromium, p50 / p95 (baseline: put → API at 100 ticks/s)`, `${ms(l.p50Ms)} / ${ms(l.p95Ms)} ms`, api100 ? `${ms(api100.p50)} / ${ms(api100.p95)} ms` : "n/a", api100 ? `+${ms(l.p95Ms - api100.p95)} ms at p95` : ""]);
    rows.push(["dashboard: first-load JS of `/`, gzip (aim 300 kB)", `${(dash.bundle.firstLoadGzipBytes / 1000).toFixed(0)} kB`, "", ""]);
  }
  if (!rows.length) return "_No results yet._";
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    "| figure | Tickstream | baseline (seed-style) | ratio |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}
