import type { KinesisStreamRecord } from "aws-lambda";
import { seedWrites } from "../baseline.js";
import { genTicks, packedEvents, packingName, type Format, type Packing } from "../records.js";
import { fmtNum, pairedRatio, summarize, type Summary } from "../stats.js";
import { table } from "../report.js";
import type { Benchmark, SectionResult } from "../types.js";
import { loadInProcess, type CandidateKind, type InProcessConsumer } from "./inprocess.js";

/**
 * Benchmark 1: decode + aggregate throughput of the consumers in process (no AWS, no I/O), in
 * the main thread, on pre-encoded Kinesis records (base64, as the event source mapping hands
 * them over), against the seed-style baseline that builds one write request per record.
 *
 * The same ticks travel one per record and packed many to a record (KPL aggregates, lines);
 * every batch holds the same number of ticks whatever the packing, as an invocation does at a
 * steady rate (it gets what a shard received in one batching window). Every candidate runs in
 * the same rotation as the baseline, so each ratio is paired per pass.
 */

export interface ThroughputRow {
  format: Format;
  /** How the ticks were packed into records (packingName). */
  records: string;
  packed: boolean;
  candidate: string;
  kind: CandidateKind | "baseline";
  /** ticks/s of each repetition, one thread. */
  ticksPerSecond: Summary;
  /** Per-repetition ratio to the baseline run beside it (one tick per record). */
  ratioToBaseline: Summary | null;
  samples: number[];
}

export interface ThroughputData {
  ticksPerPass: number;
  /** Ticks per Lambda batch, whatever the packing. */
  ticksPerBatch: number;
  /** Kept for older results: records per batch of single-tick records. */
  batchSize: number;
  instruments: number;
  repetitions: number;
  warmupPasses: number;
  packings: string[];
  rows: ThroughputRow[];
  missing: string[];
  notes: string[];
}

const BASELINE = "baseline (seed: split + one write per record)";

/** ~100 to 500 ticks per record: a KPL record of 100 pipe ticks is ~23 KB, of 500 ~115 KB. */
export const PACKINGS: Packing[] = [
  { mode: "single" },
  { mode: "kpl", ticksPerRecord: 100 },
  { mode: "kpl", ticksPerRecord: 500 },
  { mode: "lines", ticksPerRecord: 100 },
];

/** The aims, ticks/s per core: packed records and one tick per record. */
export const AIMS = { packed: 3_000_000, single: 1_000_000 } as const;

let sink = 0;

function runPass(consume: (records: KinesisStreamRecord[]) => number, batches: KinesisStreamRecord[][]): number {
  const t0 = process.hrtime.bigint();
  let acc = 0;
  for (const b of batches) acc += consume(b);
  const ns = Number(process.hrtime.bigint() - t0);
  sink ^= acc;
  return ns / 1e9;
}

const fmtAim = (v: number) => (v >= 1e6 ? `${v / 1e6} M` : fmtNum(v));

function aim(d: ThroughputData): string {
  const consumers = d.rows.filter((x) => x.kind === "latest" || x.kind === "windows");
  if (!consumers.length) return "";
  const parts = consumers.map((x) => {
    const goal = x.packed ? AIMS.packed : AIMS.single;
    return `${x.format} ${x.records} ${x.kind}: ${x.ticksPerSecond.median >= goal ? "≥" : "<"} ${fmtAim(goal)}`;
  });
  return `Aims (≥ ${fmtAim(AIMS.packed)} ticks/s per core with packed records, ≥ ${fmtAim(AIMS.single)} with one tick per record), by median: ${parts.join("; ")}.`;
}

export const throughput: Benchmark<ThroughputData> = {
  name: "throughput",
  title: "decode + aggregate throughput in process, one tick per record and packed, vs the seed-style baseline",
  async run(ctx) {
    const ticksPerPass = ctx.quick ? 20_000 : 100_000;
    const repetitions = ctx.quick ? 5 : 9;
    const warmupPasses = ctx.quick ? 2 : 3;
    const ticksPerBatch = 500;
    const instruments = 10;
    const { consumers, missing, notes } = await loadInProcess();
    const { decodeBatch } = await import("@tickstream/core/kinesis/batch");
    const rows: ThroughputRow[] = [];
    for (const format of ["pipe", "json"] as Format[]) {
      const ticks = genTicks({ count: ticksPerPass, instruments, stepMs: 1, seed: 7 });
      const live: { name: string; kind: CandidateKind | "baseline"; packing: Packing; batches: KinesisStreamRecord[][]; impl: InProcessConsumer }[] = [];
      for (const packing of PACKINGS) {
        const batches = packedEvents(ticks, format, packing, ticksPerBatch).map((e) => e.Records);
        // The packed rows measure only a decoder that finds every tick.
        let found = 0;
        const reasons = new Set<string>();
        for (const b of batches) {
          const out = decodeBatch(b);
          found += out.ticks.length;
          for (const bad of out.bad.slice(0, 3)) reasons.add(bad.reason);
        }
        if (found !== ticksPerPass) {
          missing.push(`${format}, ${packingName(packing)}: decodeBatch found ${found} of ${ticksPerPass} ticks${reasons.size ? ` (${[...reasons].join("; ")})` : ""}`);
          continue;
        }
        if (packing.mode === "single") live.push({ name: BASELINE, kind: "baseline", packing, batches, impl: { consume: (records) => seedWrites("tickstream-seed", records).length } });
        for (const c of consumers) {
          // decodeTick reads one record as one tick: meaningful for single-tick records only.
          if (c.kind === "decodeTick" && packing.mode !== "single") continue;
          live.push({ name: c.name, kind: c.kind, packing, batches, impl: c.make() });
        }
      }
      const samples = live.map(() => [] as number[]);
      live.forEach((c) => {
        for (let w = 0; w < warmupPasses; w++) {
          c.impl.reset?.();
          runPass(c.impl.consume, c.batches);
        }
      });
      for (let rep = 0; rep < repetitions; rep++) {
        // Rotate the order so that no candidate always runs right after the same one.
        for (let k = 0; k < live.length; k++) {
          const i = (rep + k) % live.length;
          const c = live[i]!;
          c.impl.reset?.();
          samples[i]!.push(ticksPerPass / runPass(c.impl.consume, c.batches));
        }
      }
      const baseIndex = live.findIndex((c) => c.kind === "baseline");
      live.forEach((c, i) => {
        const s = samples[i]!;
        rows.push({
          format,
          records: packingName(c.packing),
          packed: c.packing.mode !== "single",
          candidate: c.name,
          kind: c.kind,
          ticksPerSecond: summarize(s),
          ratioToBaseline: c.kind === "baseline" || baseIndex < 0 ? null : pairedRatio(s, samples[baseIndex]!),
          samples: s.map((v) => Math.round(v)),
        });
        ctx.log(`  ${format} ${packingName(c.packing)} ${c.name}: ${fmtNum(summarize(s).median)} ticks/s`);
      });
    }
    if (sink === 0.5) ctx.log("unreachable");
    return { ticksPerPass, ticksPerBatch, batchSize: ticksPerBatch, instruments, repetitions, warmupPasses, packings: PACKINGS.map(packingName), rows, missing, notes };
  },
  render(r: SectionResult<ThroughputData>) {
    if (!r.data) return `_Not measured: ${r.error}_`;
    const d = r.data;
    const rows = d.rows.map((x) => [
      x.format,
      x.records ?? "one tick per record",
      x.candidate,
      `**${fmtNum(x.ticksPerSecond.median)}**`,
      `${fmtNum(x.ticksPerSecond.min)}–${fmtNum(x.ticksPerSecond.max)}`,
      x.ratioToBaseline ? `**${x.ratioToBaseline.median.toFixed(2)}x** (${x.ratioToBaseline.min.toFixed(2)}–${x.ratioToBaseline.max.toFixed(2)})` : "1 (baseline)",
    ]);
    const perBatch = d.ticksPerBatch ?? d.batchSize;
    return [
      `Command: \`${r.meta.command}\` · ran ${r.meta.ranAt} · ${r.meta.wallSeconds.toFixed(0)} s.`,
      "",
      `${d.ticksPerPass.toLocaleString("en-US")} ticks per pass, ${d.instruments} instruments, batches of ${perBatch} ticks as Lambda hands them over (base64 data): ${perBatch} records of one tick, or fewer records holding many (KPL aggregates made by core's encoder, each tick a sub-record with its instrument as key; or newline-separated lines). ${d.warmupPasses} warm-up passes, then ${d.repetitions} timed passes per candidate, all candidates of a format interleaved. One thread (the main thread), so ticks/s is per core. Ratio: median of per-pass ratios against the baseline pass (one tick per record) of the same repetition (min–max).`,
      "",
      table(["format", "records", "implementation", "ticks/s (median)", "min–max", "vs baseline"], rows, ["l", "l", "l", "r", "r", "r"]),
      "",
      aim(d),
      ...(d.missing.length ? ["", `Not measured (code not present or not decoding every tick when this ran): ${d.missing.join("; ")}.`] : []),
      ...(d.notes.length ? ["", ...d.notes.map((n) => `- ${n}`)] : []),
    ].join("\n");
  },
};
