/**
 * The produce command against a real Kinesis wire protocol (kinesalite), without the rest of
 * the runtime: every tick lands once, in records of one tick or many (KPL aggregates, lines),
 * keys follow the instrument, Ctrl-C still delivers.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { localKinesis, startKinesalite, type LocalServer } from "@tickstream/testkit/local-aws";
import { decodeAggregated } from "@tickstream/core/ticks/kpl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listShards } from "@tickstream/core/kinesis/shards";
import { runTool, type spawnTool } from "../cli/run-tool.js";


let server: LocalServer;
let client: KinesisClient;
let dir: string;

beforeAll(async () => {
  server = await startKinesalite();
  client = localKinesis(server.endpoint);
  dir = mkdtempSync(join(tmpdir(), "tickstream-produce-"));
});
afterAll(async () => {
  client?.destroy();
  await server?.close();
});

async function createStream(name: string, shards: number): Promise<string> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return outputsFile(`${name}.json`, server.endpoint, name, { windowsStream: "unused" });
}

/** An outputs file as the local runtime writes it, naming a Kinesis endpoint and prices stream. */
function outputsFile(file: string, kinesisEndpoint: string, pricesStream: string, more = {}): string {
  const outputs = join(dir, file);
  writeFileSync(outputs, JSON.stringify({ region: "us-east-1", kinesisEndpoint, pricesStream, ...more }));
  return outputs;
}

function produce(args: string[], onSpawn?: (child: ReturnType<typeof spawnTool>) => void) {
  return runTool("produce", args, { timeoutMs: 90_000, onSpawn });
}

/** Runs produce as fast as it goes: `count` records (or ticks) into a new stream, then `args`. */
async function produceAll(stream: string, shards: number, count: number, args: string[]) {
  const outputs = await createStream(stream, shards);
  return produce(["--outputs", outputs, "--count", String(count), "--rate", "max", ...args]);
}

/** A record as it was put. */
interface RawRecord {
  shardId: string;
  partitionKey: string;
  data: Uint8Array;
}

function ticksOf(record: RawRecord): { key: string; text: string }[] {
  const agg = decodeAggregated(record.data);
  if (agg.ok) {
    return agg.records.map((sub) => {
      if (!sub.ok) throw new Error(sub.reason);
      return { key: sub.partitionKey, text: new TextDecoder().decode(sub.data) };
    });
  }
  return new TextDecoder()
    .decode(record.data)
    .split("\n")
    .map((text) => ({ key: record.partitionKey, text }));
}

/**
 * Reads the stream's records as they were put (not split into KPL sub-records, as the consume
 * reader does) until `expected` ticks (packed or not) have come, and a little longer.
 */
async function readAll(stream: string, expected: number): Promise<RawRecord[]> {
  const shards = (await listShards(client, stream)).map((s) => s.ShardId!);
  const iterators = new Map<string, string | undefined>();
  for (const shardId of shards) {
    const out = await client.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    iterators.set(shardId, out.ShardIterator);
  }
  const got: RawRecord[] = [];
  let ticks = 0;
  const deadline = Date.now() + 20_000;
  let extra = 0;
  while (Date.now() < deadline) {
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const out = await client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
      );
      iterators.set(shardId, out.NextShardIterator);
      for (const r of out.Records ?? []) {
        const record = { shardId, partitionKey: r.PartitionKey!, data: r.Data! };
        got.push(record);
        ticks += ticksOf(record).length;
      }
    }
    // Read a little longer, so that extra records would show.
    if (ticks >= expected && ++extra > (expected > 1 ? 3 : 0)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

describe("produce into kinesalite", { timeout: 120_000 }, () => {
  it("--aggregate none: every record of the seed's template once, keyed by instrument", async () => {
    const r = await produceAll("produce-seed", 2, 3000, ["--seed", "5", "--aggregate", "none"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^3000 records to stream produce-seed on the local runtime .*: 3000 delivered .* 0 failed$/m,
    );
    const got = await readAll("produce-seed", 3000);
    expect(got).toHaveLength(3000);
    const texts = got.map((g) => new TextDecoder().decode(g.data));
    expect(new Set(texts).size).toBe(3000);
    for (const [i, g] of got.entries()) {
      expect(texts[i]).toMatch(
        /^session=\d{8}\|sequence=\d{13}\|reception=\d{13}\|instrument=\d\|l=\d{1,2}\|(price_\d=\d{5}\|){9}$/,
      );
      expect(g.partitionKey).toBe(/instrument=(\d)/.exec(texts[i]!)![1]);
    }
    // Both shards got records, and per instrument the event times never go backwards.
    expect(new Set(got.map((g) => g.shardId)).size).toBe(2);
    const last = new Map<string, number>();
    for (const t of texts) {
      const instrument = /instrument=(\d)/.exec(t)![1]!;
      const seq = Number(/sequence=(\d+)/.exec(t)![1]);
      expect(seq).toBeGreaterThanOrEqual(last.get(instrument) ?? 0);
      last.set(instrument, seq);
    }
  });

  for (const mode of ["kpl", "lines"] as const) {
    it(`--aggregate ${mode}: every tick once, packed per instrument within the size limit`, async () => {
      const stream = `produce-${mode}`;
      const r = await produceAll(stream, 2, 5000, [
        "--seed",
        "5",
        ...(mode === "kpl" ? [] : ["--aggregate", mode]),
        "--aggregate-max-bytes",
        "16KiB",
      ]);
      expect(r.status).toBe(0);
      const m = new RegExp(
        `^5000 ticks to stream ${stream} on the local runtime .*: 5000 delivered .* in (\\d+) ${mode} records and \\d+ batches, .* 0 failed$`,
        "m",
      ).exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const got = await readAll(stream, 5000);
      expect(got).toHaveLength(Number(m![1]));
      expect(got.length).toBeLessThan(5000 / 30);
      const texts: string[] = [];
      for (const record of got) {
        expect(record.data.byteLength).toBeLessThanOrEqual(16 * 1024);
        const ticks = ticksOf(record);
        for (const t of ticks) {
          expect(t.key).toBe(record.partitionKey);
          expect(t.text).toMatch(
            new RegExp(
              `^session=\\d{8}\\|sequence=\\d{13}\\|reception=\\d{13}\\|instrument=${record.partitionKey}\\|l=\\d{1,2}\\|(price_\\d=\\d{5}\\|){9}$`,
            ),
          );
          texts.push(t.text);
        }
      }
      expect(texts).toHaveLength(5000);
      expect(new Set(texts).size).toBe(5000);
      expect(new Set(got.map((g) => g.shardId)).size).toBe(2);
    });
  }

  it("stock-trade JSON with duplicates: originals once, duplicates twice", async () => {
    const r = await produceAll("produce-stock", 1, 500, [
      "--format",
      "stock",
      "--duplicates",
      "0.2",
      "--seed",
      "3",
      "--aggregate",
      "none",
    ]);
    expect(r.status).toBe(0);
    const duplicates = Number(/\+ (\d+) duplicates/.exec(r.stderr)![1]);
    expect(duplicates).toBeGreaterThan(50);
    const got = await readAll("produce-stock", 500 + duplicates);
    expect(got).toHaveLength(500 + duplicates);
    const counts = new Map<string, number>();
    for (const g of got) {
      const text = new TextDecoder().decode(g.data);
      expect(JSON.parse(text)).toEqual({
        EVENT_TIME: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
        TICKER: expect.any(String),
        PRICE: expect.any(Number),
      });
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    expect([...counts.values()].filter((n) => n === 2)).toHaveLength(duplicates);
  });

  it("on SIGINT stops generating, delivers what is pending (packed or not) and exits with 0", async () => {
    const outputs = await createStream("produce-sigint", 1);
    const r = await produce(
      ["--outputs", outputs, "--rate", "300", "--disorder-ms", "1500"],
      (child) => {
        // Interrupt once it is surely running: records have arrived; then a little later.
        void readAll("produce-sigint", 1).then(() => setTimeout(() => child.kill("SIGINT"), 1_000));
      },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/SIGINT: stopping, delivering pending records/);
    const m =
      /^(\d+) ticks to stream produce-sigint .*: (\d+) delivered .* in (\d+) kpl records .* 0 failed$/m.exec(
        r.stderr,
      );
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(100);
    expect(m![2]).toBe(m![1]);
    const got = await readAll("produce-sigint", Number(m![1]));
    expect(got).toHaveLength(Number(m![3]));
    expect(got.flatMap(ticksOf)).toHaveLength(Number(m![1]));
  });

  it("reports a missing stream clearly and sends nothing", async () => {
    const outputs = outputsFile("missing.json", server.endpoint, "no-such-stream");
    const r = await produce(["--outputs", outputs, "--count", "10"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stream no-such-stream on the local runtime .*: stream not found/);
  });

  it("reports an unreachable runtime clearly", async () => {
    const outputs = outputsFile("down.json", "http://127.0.0.1:9", "p");
    const r = await produce(["--outputs", outputs, "--count", "10"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\): is the local runtime running/,
    );
  });
});
