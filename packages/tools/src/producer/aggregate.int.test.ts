/**
 * `npm run produce -- --aggregate kpl|lines|none` against the whole local runtime: every tick
 * the producer puts, packed or not, reaches the latest prices and the windows. Each tick has an
 * instrument of its own, so the latest table must list every one of them with its price; the
 * ticks are read back from the prices stream (the records as put, unpacked) to know exactly
 * what was sent.
 */
import { rmSync } from "node:fs";
import { outputsPath } from "@tickstream/local/outputs";
import type { LocalRuntime } from "@tickstream/local/runtime";
import { listKeys } from "@tickstream/local/testing/archive";
import { getJson, idToken, outsideClients } from "@tickstream/local/testing/scenario";
import { getLatest } from "@tickstream/local/testing/served";
import { startTestRuntime, tempDataDir } from "@tickstream/local/testing/test-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTool } from "../cli/run-tool.js";
import type { ReadRecord } from "../consumer/reader.js";
import { readBackPrices } from "../testing/read-back.js";

// Every tick opens panes and windows of its own instrument: few enough for a loaded machine.
const TICKS = 300;
const MODES = ["kpl", "lines", "none"] as const;
type Mode = (typeof MODES)[number];

const produce = (args: string[]) => runTool("produce", args, { timeoutMs: 120_000 });

/** A pipe tick of the template below: instrument `<mode>-<uuid>`, one price. */
interface Sent {
  instrument: string;
  eventTime: number;
  cents: number;
}

function parse(text: string): Sent {
  const f = new Map(text.split("|").map((p) => p.split("=") as [string, string]));
  return {
    instrument: f.get("instrument")!,
    eventTime: Number(f.get("sequence")),
    cents: Number(f.get("price_0")),
  };
}

/** The ticks of a user record (the reader yields KPL sub-records one by one): lines, or one. */
function ticksOf(record: ReadRecord): string[] {
  return new TextDecoder().decode(record.data).split("\n");
}

describe("produce --aggregate into the local runtime", () => {
  let dataDir: string;
  let rt: LocalRuntime;
  const sent = new Map<Mode, Sent[]>();
  /** Kinesis records (not sub-records) per mode, and whether they were KPL aggregates. */
  const records = new Map<Mode, Set<string>>();
  const aggregated = new Map<Mode, number>();

  beforeAll(async () => {
    dataDir = await tempDataDir("aggregate");
    rt = await startTestRuntime(dataDir, { poller: { batchingWindowMs: 100, idlePollMs: 100 } });
    const outputs = outputsPath(dataDir);
    for (const mode of MODES) {
      const template =
        `session={{date.utc('YYYYMMDD')}}|sequence={{date.now('x')}}|instrument=${mode}-{{random.uuid}}|` +
        `price_0={{random.number({"min":100,"max":99999})}}|`;
      const r = await produce([
        "--outputs",
        outputs,
        "--template",
        template,
        "--aggregate",
        mode,
        ...(mode === "none" ? [] : ["--aggregate-max-bytes", "4KiB"]),
        // Four keys: ticks of one key share records.
        "--partition-key",
        "k{{random.number(3)}}",
        "--count",
        String(TICKS),
        "--rate",
        "max",
        "--seed",
        mode,
      ]);
      expect(r.stderr).toMatch(new RegExp(`: ${TICKS} delivered .* 0 failed$`, "m"));
      expect(r.status).toBe(0);
    }

    // What reached the stream, unpacked.
    let ticks = 0;
    await readBackPrices(outputs, (batch) => {
      for (const record of batch) {
        const texts = ticksOf(record);
        const mode = /instrument=(\w+)-/.exec(texts[0]!)![1] as Mode;
        if (!records.has(mode)) records.set(mode, new Set());
        records.get(mode)!.add(`${record.shardId}/${record.sequenceNumber}`);
        if (record.subSequenceNumber !== undefined)
          aggregated.set(mode, (aggregated.get(mode) ?? 0) + 1);
        for (const text of texts) {
          expect(text).toContain(`instrument=${mode}-`);
          sent.set(mode, [...(sent.get(mode) ?? []), parse(text)]);
        }
        ticks += texts.length;
      }
      return ticks >= TICKS * MODES.length;
    });
    await rt.waitForConsumers({ timeoutMs: 240_000 });
  }, 600_000);

  afterAll(async () => {
    await rt?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("put the ticks packed as asked: many per record for kpl and lines, one for none", () => {
    for (const mode of MODES) expect(sent.get(mode), mode).toHaveLength(TICKS);
    expect(records.get("none")!.size).toBe(TICKS);
    // 4 KiB of ~110-byte ticks: at least ~30 per record, less what lingering cuts short.
    expect(records.get("kpl")!.size).toBeLessThan(TICKS / 10);
    expect(records.get("lines")!.size).toBeLessThan(TICKS / 10);
    // Every kpl tick came in a KPL aggregate, no other did.
    expect(Object.fromEntries(aggregated)).toEqual({ kpl: TICKS });
  });

  it("every tick is in the latest prices, and none was refused", async () => {
    const outside = outsideClients(rt.outputs);
    try {
      const token = await idToken(rt.outputs, outside.cognito);
      const latest = await getLatest(rt.outputs, token);
      expect(latest.status).toBe(200);
      const byInstrument = new Map(latest.body.map((l) => [l.instrument, l]));
      for (const mode of MODES) {
        for (const t of sent.get(mode)!) {
          const got = byInstrument.get(t.instrument);
          expect(got, `${mode} tick ${t.instrument}`).toBeDefined();
          expect(Math.round(got!.price * 100)).toBe(t.cents);
          expect(got!.eventTime).toBe(t.eventTime);
        }
      }
      expect(latest.body.length).toBe(TICKS * MODES.length);
      expect(await listKeys(outside.s3, rt.outputs.archiveBucket, "dead-letters/")).toEqual([]);
    } finally {
      outside.destroy();
    }
  }, 120_000);

  it("every tick is in its windows", async () => {
    const outside = outsideClients(rt.outputs);
    try {
      const token = await idToken(rt.outputs, outside.cognito);
      for (const mode of MODES) {
        // Each instrument has this one tick: every window of it holds its price.
        for (const t of sent.get(mode)!.filter((_, i) => i % 30 === 0)) {
          const w = await getJson<{ windowStart: number; max: number }[]>(
            rt.outputs,
            `/instruments/${t.instrument}/windows?from=${t.eventTime - 120_000}&to=${t.eventTime + 1}`,
            token,
          );
          expect(w.status, JSON.stringify(w.body)).toBe(200);
          expect(w.body.length, `${mode} tick ${t.instrument}`).toBeGreaterThan(0);
          for (const x of w.body) expect(Math.round(x.max * 100)).toBe(t.cents);
        }
      }
    } finally {
      outside.destroy();
    }
  }, 120_000);
});
