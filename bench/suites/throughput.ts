import type { KinesisStreamRecord } from "aws-lambda";
import { seedWrites } from "../baseline.js";
import { genTicks, kinesisEvents, type Format } from "../records.js";
import { fmtNum, pairedRatio, summarize, type Summary } from "../stats.js";
import { table } from "../report.js";
import type { Benchmark, SectionResult } from "../types.js";
import { loadInProcess, type InProcessConsumer } from "./inprocess.js";

/**
 * Benchmark 1: decode + aggregate throughput of the consumers in process (no AWS, no I/O), in
 * the main thread, on pre-encoded Kinesis records (base64, as the event source mapping hands
 * them over), against the seed-style baseline that builds one write request per record.
 */

export interface ThroughputRow {
  format: Format;
  candidate: string;
  /** ticks/s of each repetition, one thread. */
  ticksPerSecond: Summary;
  /** Per-repetition ratio to the baseline run beside it. */
  ratioToBaseline: Summary | null;
  samples: number[];
}

export interface ThroughputData {
  ticksPerPass: number;
  batchSize: number;
  instruments: number;
  repetitions: number;
  warmupPasses: number;
  rows: ThroughputRow[];
  missing: string[];
  notes: string[];
}

const BASELINE = "baseline (seed: split + one write per record)";

let sink = 0;

function runPass(consume: (records: KinesisStreamRecord[]) => number, batches: KinesisStreamRecord[][]): number {
  const t0 = process.hrtime.bigint();
  let acc = 0;
  for (const b of batches) acc += consume(b);
  const ns = Number(process.hrtime.bigint() - t0);
  sink ^= acc;
  return ns / 1e9;
}

/** The aims: at least 1,000,000 ticks/s per core and at least 2.5x the baseline. */
function aim(d: ThroughputData): string {
  const consumers = d.rows.filter((x) => x.candidate.startsWith("latest") || x.candidate.startsWith("windows"));
  if (!consumers.length) return "";
  const parts = consumers.map((x) => {
    const fast = x.ticksPerSecond.median >= 1_000_000;
    const ratio = (x.ratioToBaseline?.median ?? 0) >= 2.5;
    return `${x.format} ${x.candidate.split(":")[0]}: ${fast ? "≥" : "<"} 1 M ticks/s, ${ratio ? "≥" : "<"} 2.5x`;
  });
  return `Aims (≥ 1,000,000 ticks/s per core, ≥ 2.5x the baseline), by median: ${parts.join("; ")}.`;
}

export const throughput: Benchmark<ThroughputData> = {
  name: "throughput",
  title: "decode + aggregate throughput in process, vs the seed-style baseline",
  async run(ctx) {
    const ticksPerPass = ctx.quick ? 15_000 : 100_000;
    const repetitions = ctx.quick ? 5 : 9;
    const warmupPasses = ctx.quick ? 2 : 3;
    const batchSize = 500;
    const instruments = 10;
    const { consumers, missing, notes } = await loadInProcess();
    const candidates: { name: string; make(): InProcessConsumer }[] = [
      { name: BASELINE, make: () => ({ consume: (records) => seedWrites("tickstream-seed", records).length }) },
      ...consumers,
    ];
    const rows: ThroughputRow[] = [];
    for (const format of ["pipe", "json"] as Format[]) {
      const ticks = genTicks({ count: ticksPerPass, instruments, stepMs: 1, seed: 7 });
      const batches = kinesisEvents(ticks, format, batchSize).map((e) => e.Records);
      const samples: Record<string, number[]> = {};
      const live = candidates.map((c) => ({ name: c.name, impl: c.make() }));
      for (const c of live) {
        samples[c.name] = [];
        for (let w = 0; w < warmupPasses; w++) {
          c.impl.reset?.();
          runPass(c.impl.consume, batches);
        }
      }
      for (let rep = 0; rep < repetitions; rep++) {
        // Rotate the order so that no candidate always runs right after the same one.
        for (let k = 0; k < live.length; k++) {
          const c = live[(rep + k) % live.length]!;
          c.impl.reset?.();
          const seconds = runPass(c.impl.consume, batches);
          samples[c.name]!.push(ticksPerPass / seconds);
        }
      }
      const base = samples[BASELINE]!;
      for (const c of live) {
        const s = samples[c.name]!;
        rows.push({
          format,
          candidate: c.name,
          ticksPerSecond: summarize(s),
          ratioToBaseline: c.name === BASELINE ? null : pairedRatio(s, base),
          samples: s.map((v) => Math.round(v)),
        });
        ctx.log(`  ${format} ${c.name}: ${fmtNum(summarize(s).median)} ticks/s`);
      }
    }
    if (sink === 0.5) ctx.log("unreachable");
    return { ticksPerPass, batchSize, instruments, repetitions, warmupPasses, rows, missing, notes };
  },
  render(r: SectionResult<ThroughputData>) {
    if (!r.data) return `_Not measured: ${r.error}_`;
    const d = r.data;
    const rows = d.rows.map((x) => [
      x.format,
      x.candidate,
      `**${fmtNum(x.ticksPerSecond.median)}**`,
      `${fmtNum(x.ticksPerSecond.min)}–${fmtNum(x.ticksPerSecond.max)}`,
      x.ratioToBaseline ? `**${x.ratioToBaseline.median.toFixed(2)}x** (${x.ratioToBaseline.min.toFixed(2)}–${x.ratioToBaseline.max.toFixed(2)})` : "1 (baseline)",
    ]);
    return [
      `Command: \`${r.meta.command}\` · ran ${r.meta.ranAt} · ${r.meta.wallSeconds.toFixed(0)} s.`,
      "",
      `${d.ticksPerPass.toLocaleString("en-US")} ticks per pass, ${d.instruments} instruments, batches of ${d.batchSize} Kinesis records (base64 data, as Lambda receives them); ${d.warmupPasses} warm-up passes, then ${d.repetitions} timed passes per candidate, interleaved. One thread (the main thread), so ticks/s is per core. Ratio: median of per-pass ratios against the baseline pass beside it (min–max).`,
      "",
      table(["format", "implementation", "ticks/s (median)", "min–max", "vs baseline"], rows, ["l", "l", "r", "r", "r"]),
      "",
      aim(d),
      ...(d.missing.length ? ["", `Not measured (code not present when this ran): ${d.missing.join("; ")}.`] : []),
      ...(d.notes.length ? ["", ...d.notes.map((n) => `- ${n}`)] : []),
    ].join("\n");
  },
};
