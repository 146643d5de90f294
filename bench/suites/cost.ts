import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { costSvg, costTable, lineItemTable, monthlyCost, perMillionTicks, type DesignCost, type DesignInput } from "../cost.js";
import { PRICES } from "../prices.js";
import { encodePipe } from "../../packages/core/src/ticks/encode.js";
import { genTicks } from "../records.js";
import type { Benchmark, SectionResult } from "../types.js";
import type { WriteRow, WritesData } from "./writes.js";

/**
 * Benchmark 5: the monthly cost of 1,000 ticks/s for 30 days, from the request counts and
 * durations measured by `writes` (this run's, or the last saved) and the list prices in
 * prices.ts, for this design and for the seed's.
 */

export interface CostData {
  ticksPerSecond: number;
  days: number;
  tickBytes: number;
  gzipRatio: number;
  inputs: DesignInput[];
  designs: DesignCost[];
  assumptions: string[];
  writesFrom: string;
}

const SVG_PATH = fileURLToPath(new URL("../cost.svg", import.meta.url));

/** Average record size and gzip ratio of the generator's ticks, measured here. */
export function tickSizeAndRatio(): { tickBytes: number; gzipRatio: number } {
  const lines = genTicks({ count: 20_000, instruments: 10, stepMs: 1, seed: 5 }).map((t) => `${encodePipe(t)}\n`);
  const text = lines.join("");
  const bytes = Buffer.byteLength(text);
  return { tickBytes: bytes / lines.length - 1, gzipRatio: bytes / gzipSync(text).length };
}

function row(w: WritesData, consumer: WriteRow["consumer"], batchSize: number): WriteRow {
  const r = w.rows.find((x) => x.costScenario && x.consumer === consumer && x.batchSize === batchSize && !x.error);
  if (!r) throw new Error(`the writes benchmark has no cost scenario for ${consumer} at batch ${batchSize}: run \`npm run bench -- --only writes\``);
  return r;
}

/** WRU per 1,000 ticks: units the server reported plus 1 per write refused by its condition. */
function wru(r: WriteRow): number {
  return r.per1000.wcuReported + r.per1000.conditionalFailures;
}

export const cost: Benchmark<CostData> = {
  name: "cost",
  title: "monthly cost of 1,000 ticks/s (this design vs the seed's), from measured counts",
  async run(ctx) {
    const section = ctx.results.sections.writes as SectionResult<WritesData> | undefined;
    if (!section?.data) throw new Error("needs the writes benchmark's results (`npm run bench -- --only writes`)");
    const w = section.data;
    const { tickBytes, gzipRatio } = tickSizeAndRatio();
    const tps = 1000;
    const days = 30;
    const timerRow = w.rows.find((x) => x.consumer === "windows" && x.timer)?.timer;

    const ours = (name: string, batch: number, stream: DesignInput["stream"], windowsStream: DesignInput["stream"]): DesignInput => {
      const latest = row(w, "latest", batch);
      const windows = row(w, "windows", batch);
      return {
        name,
        ticksPerSecond: tps,
        days,
        tickBytes,
        stream,
        extraStreams: [{ name: "windows", kind: windowsStream, recordsPerSecond: ((windows.windowsRecordsPer1000 ?? 0) * tps) / 1000, recordBytes: 110 }],
        streamReaders: 3,
        consumers: [
          { name: "latest", batchSize: 500, batchingWindowSeconds: 1, parallelizationFactor: 1, memoryMb: 1024, arch: "arm64", durationMs: latest.msPerInvocation.median },
          { name: "windows", batchSize: 500, batchingWindowSeconds: 1, parallelizationFactor: 1, memoryMb: 1024, arch: "arm64", durationMs: windows.msPerInvocation.median },
        ],
        scheduled: [{ name: "windows-timer", invocationsPerMonth: days * 24 * 60, memoryMb: 1024, arch: "arm64", durationMs: timerRow?.ms ?? 50 }],
        writeUnitsPer1000: wru(latest) + wru(windows),
        readUnitsPer1000: latest.per1000.readUnits + windows.per1000.readUnits,
        archive: { bufferBytes: 5 * 1024 * 1024, bufferSeconds: 60, compressionRatio: gzipRatio },
      };
    };
    const base = row(w, "baseline", 50);
    const has = (batch: number) => w.rows.some((x) => x.costScenario && x.batchSize === batch && x.consumer === "windows" && !x.error);
    const inputs: DesignInput[] = [
      ours("Tickstream, on-demand (prod stage)", 250, { mode: "on-demand", retentionHours: 24, shards: 4 }, { mode: "on-demand", retentionHours: 24 }),
      // The quick run does not measure batches of 500.
      ...(has(500) ? [ours("Tickstream, 2 provisioned shards", 500, { mode: "provisioned", shards: 2, retentionHours: 24 }, { mode: "provisioned", shards: 1, retentionHours: 24 })] : []),
      {
        name: "seed: 10 shards, 1 write per tick",
        ticksPerSecond: tps,
        days,
        tickBytes,
        stream: { mode: "provisioned", shards: 10, retentionHours: 48 },
        extraStreams: [],
        streamReaders: 2,
        consumers: [{ name: "ingest", batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 2, memoryMb: 128, arch: "x86_64", durationMs: base.msPerInvocation.median }],
        scheduled: [],
        writeUnitsPer1000: wru(base),
        readUnitsPer1000: base.per1000.readUnits,
        archive: { bufferBytes: 100 * 1024 * 1024, bufferSeconds: 60, compressionRatio: 2 },
      },
    ];
    const designs = inputs.map((d) => monthlyCost(d));
    for (const d of designs) ctx.log(`  ${d.name}: $${d.total.toFixed(0)}/month, $${perMillionTicks(d).toFixed(3)} per million ticks`);
    const assumptions = [
      `Ticks: ${tps.toLocaleString("en-US")}/s for ${days} days = ${(tps * days * 86400).toLocaleString("en-US")} ticks; ${tickBytes.toFixed(0)} bytes each (the Kinesis Data Generator template's pipe records, measured), 10 instruments.`,
      "Kinesis: prod stage = on-demand streams (24 h retention), modelled as the 4 shards AWS starts an on-demand stream with; 3 shared-throughput readers of `prices` (latest, windows, Firehose). The alternative uses 2 provisioned shards (1,000 records/s is one shard's write limit, so one shard has no headroom) and 1 for `windows`. Seed: 10 provisioned shards, 48 h retention (extended retention billed), 2 readers. Records are put one per tick (no producer-side aggregation).",
      "Lambda: one batch per shard (x parallelization factor) per second, at most the batch size (see each design's line items). Duration per invocation = the handler's median wall time per batch measured by `writes` against dynalite on this machine (a stand-in for DynamoDB's network latency, which it does not model). Ours: 1,024 MB arm64 (the stacks' setting); timer every minute. Seed: 128 MB x86_64 (its CDK defaults), 50 records per invocation.",
      "DynamoDB: on-demand; write request units per 1,000 ticks = WCU dynalite reported + 1 per conditional write refused (DynamoDB bills those too), from the `writes` rows marked †; reads by the consumers included; reads by the API (dashboard users) not included.",
      `Firehose: every record, 5 KB minimum each. S3: Standard; ours GZIP (ratio ${gzipRatio.toFixed(1)}:1 measured on the same records) with 5 MiB / 60 s buffers; seed Snappy at an assumed 2:1 (not measured: no Snappy codec here), 100 MB / 60 s buffers; one month of archive stored for a month.`,
      "Not included: API Gateway, Cognito, CloudFront, CloudWatch logs and metrics, data transfer, free tiers.",
    ];
    return { ticksPerSecond: tps, days, tickBytes, gzipRatio, inputs, designs, assumptions, writesFrom: `${section.meta.command} at ${section.meta.ranAt}` };
  },
  render(r: SectionResult<CostData>) {
    if (!r.data) return `_Not computed: ${r.error}_`;
    const d = r.data;
    // The chart is regenerated with the page.
    writeFileSync(SVG_PATH, costSvg(d.designs, `Monthly cost at ${d.ticksPerSecond.toLocaleString("en-US")} ticks/s, ${d.days} days, ${PRICES.region} list prices (${PRICES.checked})`));
    const seed = d.designs[d.designs.length - 1]!;
    const cheapest = d.designs.slice(0, -1).reduce((a, b) => (a.total <= b.total ? a : b));
    return [
      `Command: \`${r.meta.command}\` · ran ${r.meta.ranAt}; request counts and durations from \`${d.writesFrom}\`; prices: \`bench/prices.ts\` (${PRICES.region}, list prices checked ${PRICES.checked}).`,
      "",
      "![monthly cost by service](bench/cost.svg)",
      "",
      costTable(d.designs),
      "",
      `${cheapest.name}: $${cheapest.total.toFixed(0)} a month against $${seed.total.toFixed(0)} for the seed's design (${(seed.total / cheapest.total).toFixed(1)}x less). By service, this design minus the seed's: ${(["DynamoDB", "Kinesis", "Lambda", "Firehose", "S3"] as const).map((k) => `${k} ${cheapest.byService[k] - seed.byService[k] >= 0 ? "+" : "−"}$${Math.abs(cheapest.byService[k] - seed.byService[k]).toFixed(0)}`).join(", ")}.`,
      "",
      "Assumptions:",
      "",
      ...d.assumptions.map((a) => `- ${a}`),
      "",
      ...d.designs.flatMap((x) => [`<details><summary>Line items: ${x.name}</summary>`, "", lineItemTable(x), "", ...x.assumptions.map((a) => `- ${a}`), "", "</details>", ""]),
    ].join("\n");
  },
};
