import {
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsCommandInput,
} from "@aws-sdk/client-kinesis";
import { describe, expect, it } from "vitest";
import { decodeTickText } from "@tickstream/core/ticks/decode";
import { encodePipe } from "@tickstream/core/ticks/encode";
import { decodeAggregated } from "@tickstream/core/ticks/kpl";
import { silentLog } from "../timing.js";
import { hashKeyOf, shardOfKey } from "./shard-map.js";
import { TickGenerator, TickSource, type GeneratorOptions } from "./ticks.js";

const HALF = 1n << 127n;
const TWO_SHARDS = [
  {
    ShardId: "shardId-0",
    HashKeyRange: { StartingHashKey: "0", EndingHashKey: String(HALF - 1n) },
    SequenceNumberRange: { StartingSequenceNumber: "1" },
  },
  {
    ShardId: "shardId-1",
    HashKeyRange: { StartingHashKey: String(HALF), EndingHashKey: String((1n << 128n) - 1n) },
    SequenceNumberRange: { StartingSequenceNumber: "1" },
  },
];

/** A Kinesis client that lists two shards and keeps what is put. */
function fakeKinesis() {
  const puts: PutRecordsCommandInput[] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof ListShardsCommand) return { Shards: TWO_SHARDS };
      if (command instanceof PutRecordsCommand) {
        puts.push(command.input);
        return {
          FailedRecordCount: 0,
          Records: command.input.Records!.map(() => ({ SequenceNumber: "1", ShardId: "s" })),
        };
      }
      throw new Error("unexpected command");
    },
  } as unknown as KinesisClient;
  return { client, puts };
}

async function runGenerator(options: GeneratorOptions) {
  const { client, puts } = fakeKinesis();
  const gen = new TickGenerator(client, "prices", silentLog, {
    instruments: 10,
    ticksPerSecond: 8,
    seed: 3,
    ...options,
  });
  gen.start();
  await new Promise((r) => setTimeout(r, 600));
  await gen.stop();
  const records = puts.flatMap((p) => p.Records!);
  return { gen, records };
}

describe("tick generator", () => {
  it("writes the Kinesis Data Generator's pipe format", () => {
    const line = encodePipe({
      instrument: "3",
      eventTime: Date.UTC(2026, 10, 22, 10),
      receivedAt: Date.UTC(2026, 10, 22, 10) + 5,
      level: 7,
      pricesCents: [12345, 12340],
    });
    expect(line).toBe(
      `session=20261122|sequence=${Date.UTC(2026, 10, 22, 10)}|reception=${Date.UTC(2026, 10, 22, 10) + 5}|instrument=3|l=7|price_0=12345|price_1=12340|`,
    );
    // and the consumers read it back as the tick it was
    const decoded = decodeTickText(line);
    expect(decoded).toMatchObject({
      ok: true,
      tick: { instrument: "3", pricesCents: [12345, 12340], level: 7 },
    });
  });

  it("walks prices in whole cents, per instrument, deterministically for a seed", () => {
    const a = new TickSource({ instruments: 10, seed: 1 });
    const b = new TickSource({ instruments: 10, seed: 1 });
    const now = Date.now();
    for (let i = 0; i < 500; i++) {
      const t = a.next(i % 10, now + i);
      expect(t).toEqual(b.next(i % 10, now + i));
      expect(t.instrument).toBe(String((i % 10) + 1));
      expect(t.pricesCents).toHaveLength(9);
      for (const p of t.pricesCents) expect(Number.isInteger(p) && p > 0).toBe(true);
      expect(decodeTickText(encodePipe(t)).ok).toBe(true);
      expect(t.eventTime).toBeLessThanOrEqual(now + i);
    }
  });

  it("puts KPL aggregated records by default, one per shard the instruments' keys map to", async () => {
    const { gen, records } = await runGenerator({});
    expect(gen.sent).toBeGreaterThanOrEqual(20);
    expect(gen.records).toBe(records.length);
    let ticks = 0;
    for (const r of records) {
      const agg = decodeAggregated(r.Data!);
      expect(agg.ok).toBe(true);
      if (!agg.ok) continue;
      const keys = agg.records.map((sub) => (sub.ok ? sub.partitionKey : "bad"));
      // Keyed by its first tick's instrument; every tick keyed by its own, all bound for one shard.
      expect(r.PartitionKey).toBe(keys[0]);
      expect(
        new Set(
          keys.map((k) =>
            shardOfKey(k, [
              { shardId: "0", start: 0n, end: HALF - 1n },
              { shardId: "1", start: HALF, end: (1n << 128n) - 1n },
            ]),
          ),
        ),
      ).toHaveProperty("size", 1);
      for (const sub of agg.records) {
        if (!sub.ok) throw new Error(sub.reason);
        const decoded = decodeTickText(new TextDecoder().decode(sub.data));
        expect(decoded).toMatchObject({ ok: true, tick: { instrument: sub.partitionKey } });
        ticks++;
      }
    }
    expect(ticks).toBe(gen.sent);
    // Fewer records than ticks: ticks of several instruments share one.
    expect(records.length).toBeLessThan(ticks / 2);
  });

  it("puts one tick per record with aggregate none, and lines on request", async () => {
    const none = await runGenerator({ aggregate: "none" });
    expect(none.records).toHaveLength(none.gen.sent);
    for (const r of none.records)
      expect(decodeTickText(new TextDecoder().decode(r.Data!)).ok).toBe(true);
    const lines = await runGenerator({ aggregate: "lines" });
    const texts = lines.records.flatMap((r) => new TextDecoder().decode(r.Data!).split("\n"));
    expect(texts).toHaveLength(lines.gen.sent);
    expect(lines.records.length).toBeLessThan(texts.length);
    for (const t of texts) expect(decodeTickText(t).ok).toBe(true);
  });
});

describe("shard of a partition key", () => {
  it("is the shard whose hash key range holds the MD5 of the key", () => {
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661, below 2^127; MD5("b") = 92eb5ffee6ae2fec3ad71c777531578f, above.
    expect(hashKeyOf("a")).toBe(0x0cc175b9c0f1b6a831c399e269772661n);
    const shards = [
      { shardId: "low", start: 0n, end: HALF - 1n },
      { shardId: "high", start: HALF, end: (1n << 128n) - 1n },
    ];
    expect(shardOfKey("a", shards)).toBe("low");
    expect(shardOfKey("b", shards)).toBe("high");
    expect(shardOfKey("a", [shards[1]!])).toBe("");
  });
});
