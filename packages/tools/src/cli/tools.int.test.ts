/**
 * End to end: `produce` puts ticks of the seed's KDG template into the local runtime (in KPL
 * aggregated records, its default), the window
 * consumer closes windows as the watermark passes them, and `consume` prints those windows. The
 * maxima it prints are checked against a brute-force computation over every record that
 * actually reached the prices stream (read back from it).
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outputsPath } from "@tickstream/local/outputs";
import type { LocalRuntime } from "@tickstream/local/runtime";
import { startTestRuntime, tempDataDir } from "@tickstream/local/testing/test-runtime";
import { readBackPrices } from "../testing/read-back.js";
import { runTool, spawnTool, type Tool } from "./run-tool.js";

// Both shards are listed from the start and hold the watermark until they report or have been
// known for longer than the idle timeout; while both deliver, the trailing one holds it back, so
// no tick is late however far one shard's batches lag behind the other's. The idle timeout only
// has to outlast the time from start-up to the first records (and delays the final close).
const WINDOW = { sizeMs: 2_000, slideMs: 1_000, allowedLatenessMs: 1_000, idleTimeoutMs: 20_000 };
const TICKS = 1_800;
const RATE = 200;

const run = (tool: Tool, args: string[]) => runTool(tool, args, { timeoutMs: 120_000 });

interface Tick {
  instrument: string;
  eventTime: number;
  cents: number;
}

function parsePipe(text: string): Tick {
  const fields = new Map(
    text
      .replace(/\|\s*$/, "")
      .split("|")
      .map((p) => p.split("=") as [string, string]),
  );
  return {
    instrument: fields.get("instrument")!,
    eventTime: Number(fields.get("sequence")),
    cents: Number(fields.get("price_0")),
  };
}

/** Every window [s, s+size) (s a multiple of the slide) holding a tick, with its max in cents. */
function bruteForce(
  ticks: Tick[],
): Map<string, { instrument: string; windowStart: number; windowEnd: number; maxCents: number }> {
  const out = new Map<
    string,
    { instrument: string; windowStart: number; windowEnd: number; maxCents: number }
  >();
  for (const t of ticks) {
    const lastStart = Math.floor(t.eventTime / WINDOW.slideMs) * WINDOW.slideMs;
    for (let s = lastStart; s > t.eventTime - WINDOW.sizeMs; s -= WINDOW.slideMs) {
      const key = `${t.instrument}@${s}`;
      const w = out.get(key);
      if (!w)
        out.set(key, {
          instrument: t.instrument,
          windowStart: s,
          windowEnd: s + WINDOW.sizeMs,
          maxCents: t.cents,
        });
      else w.maxCents = Math.max(w.maxCents, t.cents);
    }
  }
  return out;
}

describe("produce and consume against the local runtime", () => {
  let dataDir: string;
  let rt: LocalRuntime;
  let outputs: string;

  beforeAll(async () => {
    dataDir = await tempDataDir("tools");
    rt = await startTestRuntime(dataDir, {
      window: WINDOW,
      timerIntervalMs: 250,
      poller: { batchingWindowMs: 100, idlePollMs: 100 },
    });
    outputs = outputsPath(dataDir);
  }, 180_000);

  afterAll(async () => {
    await rt?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("every closed window comes out once, with the maximum of what was sent", async () => {
    expect(rt.outputs).toMatchObject({
      windowSizeMs: WINDOW.sizeMs,
      windowSlideMs: WINDOW.slideMs,
      allowedLatenessMs: WINDOW.allowedLatenessMs,
    });

    // 1. Produce: the seed's template (the default) in KPL records, with duplicates and disorder well within
    //    the allowed lateness, so no tick is late and the maxima are exactly the brute force's.
    const produced = await run("produce", [
      "--outputs",
      outputs,
      "--count",
      String(TICKS),
      "--rate",
      String(RATE),
      "--duplicates",
      "0.05",
      "--disorder-ms",
      "200",
      "--seed",
      "11",
    ]);
    expect(produced.stderr).toMatch(
      new RegExp(
        `^${TICKS} ticks \\+ \\d+ duplicates to stream ${rt.outputs.pricesStream} on the local runtime`,
        "m",
      ),
    );
    expect(produced.stderr).toMatch(/, 0 failed$/m);
    expect(produced.status).toBe(0);
    const duplicates = Number(/\+ (\d+) duplicates/.exec(produced.stderr)![1]);

    // 2. What reached the prices stream, read back.
    const sent: Tick[] = [];
    await readBackPrices(outputs, (records) => {
      // The reader yields the sub-records of KPL records, one tick each.
      for (const r of records) {
        expect(r.subSequenceNumber).toBeTypeOf("number");
        sent.push(parsePipe(new TextDecoder().decode(r.data)));
      }
      return sent.length >= TICKS + duplicates;
    });
    expect(sent).toHaveLength(TICKS + duplicates);
    const span =
      Math.max(...sent.map((t) => t.eventTime)) - Math.min(...sent.map((t) => t.eventTime));
    expect(span).toBeGreaterThan(2 * WINDOW.slideMs); // a few windows' worth of event time

    // 3. Closed windows: once every shard is idle the watermark is the largest event time minus
    //    the allowed lateness, and every window ending at or before it is closed.
    const watermark = Math.max(...sent.map((t) => t.eventTime)) - WINDOW.allowedLatenessMs;
    const expected = [...bruteForce(sent).values()].filter((w) => w.windowEnd <= watermark);
    expect(expected.length).toBeGreaterThan(10);

    // 4. Consume them all (JSON lines), from the start of the windows stream.
    const consumed = await run("consume", [
      "--outputs",
      outputs,
      "--from",
      "trim-horizon",
      "--json",
      "--count",
      String(expected.length),
      "--timeout",
      "90s",
    ]);
    expect(consumed.stderr).toBe("");
    expect(consumed.status).toBe(0);
    const results = consumed.stdout
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            instrument: string;
            windowStart: number;
            windowEnd: number;
            max: number;
          },
      );
    expect(results).toHaveLength(expected.length);
    const byKey = new Map(results.map((r) => [`${r.instrument}@${r.windowStart}`, r]));
    expect(byKey.size).toBe(results.length);
    for (const w of expected) {
      const got = byKey.get(`${w.instrument}@${w.windowStart}`);
      expect(got, `window ${w.instrument}@${w.windowStart}`).toBeDefined();
      expect(got!.windowEnd).toBe(w.windowEnd);
      expect(Math.round(got!.max * 100)).toBe(w.maxCents);
    }

    // 5. The table view with an instrument filter shows the same windows for that instrument.
    const instrument = expected[0]!.instrument;
    const mine = expected.filter((w) => w.instrument === instrument);
    const table = await run("consume", [
      "--outputs",
      outputs,
      "--from",
      "trim-horizon",
      "--instrument",
      instrument,
      "--count",
      String(mine.length),
      "--timeout",
      "60s",
    ]);
    expect(table.status).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^INSTRUMENT\s+WINDOW \(UTC\)\s+MAX$/);
    expect(lines.slice(1)).toHaveLength(mine.length);
    for (const line of lines.slice(1)) expect(line.startsWith(`${instrument} `)).toBe(true);
    const maxima = lines
      .slice(1)
      .map((l) => Math.round(Number(l.trim().split(/\s+/).at(-1)) * 100))
      .sort((a, b) => a - b);
    expect(maxima).toEqual(mine.map((w) => w.maxCents).sort((a, b) => a - b));
  }, 240_000);

  it("consume stops on SIGTERM and exits cleanly", async () => {
    const child = spawnTool("consume", ["--outputs", outputs, "--verbose"]);
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("close", r));
    // Running for sure once it reports reading a shard (--verbose); then a moment longer.
    await new Promise<void>((ready) =>
      child.stderr.on("data", (d: Buffer) => {
        stderr += d;
        if (/reading from LATEST/.test(stderr)) ready();
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    child.kill("SIGTERM");
    const status = await exited;
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^shard shardId-\d+: reading from LATEST$/),
    ]);
    expect(status).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);

  it("consume --timeout before --count results exits with 1 and says so", async () => {
    const r = await run("consume", [
      "--outputs",
      outputs,
      "--from",
      "latest",
      "--count",
      "1",
      "--timeout",
      "1s",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/timed out after 1s with 0 of 1 results/);
  }, 60_000);
});
