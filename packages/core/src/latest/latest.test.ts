import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeBatch, type PositionedTick } from "../kinesis/batch.js";
import { toKinesisRecord } from "../kinesis/records.js";
import { decodeTick } from "../ticks/decode.js";
import type { DeadLetterWriter } from "../deadletters/deadletters.js";
import { deadLetterObjects } from "../deadletters/deadletters.js";
import { coalesceLatest } from "./coalesce.js";
import { processLatestBatch } from "./consumer.js";
import { createMemoryLatestStore } from "./memory-store.js";
import { LATEST_CONDITION, latestKey, latestPartition, latestPutInput } from "./store.js";
import {
  badKeys,
  bruteForceLatest,
  cutBatches,
  driveShard,
  expectedParts,
  prng,
  shardStreamsArb,
  type StreamRecord,
} from "./test-support.js";
import { shuffledDeliveries, streamCutsArb } from "./testing/deliveries.js";

const SHARD = "shardId-000000000000";

function entries(records: StreamRecord[]): PositionedTick[] {
  return decodeBatch(records.map((r) => r.record)).ticks;
}

function asObject(map: ReadonlyMap<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe("coalesceLatest", () => {
  const tick = (instrument: string, eventTime: number, seq: string, cents: number): PositionedTick => ({
    tick: { instrument, eventTime, receivedAt: null, level: null, pricesCents: [cents] },
    position: { shardId: SHARD, sequenceNumber: seq, arrivalTime: 0, subIndex: 0 },
  });

  it("keeps per instrument the newest by event time; on a tie the later record", () => {
    const out = coalesceLatest([tick("A", 5, "1", 1), tick("B", 1, "2", 2), tick("A", 4, "3", 3), tick("A", 5, "4", 4), tick("B", 1, "5", 5)]);
    expect(out.map((e) => [e.tick.instrument, e.tick.pricesCents[0]])).toEqual([
      ["A", 4],
      ["B", 5],
    ]);
  });

  it("compares sequence numbers as numbers (99 < 100)", () => {
    const out = coalesceLatest([tick("A", 5, "100", 1), tick("A", 5, "99", 2)]);
    expect(out.map((e) => [e.tick.instrument, e.tick.pricesCents[0]])).toEqual([["A", 1]]);
  });

  it("equals a brute-force fold over the batch (property)", () => {
    fc.assert(
      fc.property(shardStreamsArb(60), (streams) => {
        const all = streams.flatMap((s) => s.records);
        const got = new Map(coalesceLatest(entries(all)).map((e) => [e.tick.instrument, e.position.sequenceNumber]));
        const expected = new Map([...bruteForceLatest(all)].map(([k, v]) => [k, v.sequenceNumber]));
        expect(asObject(got)).toEqual(asObject(expected));
      }),
      { numRuns: 500 },
    );
  });
});

describe("latest store semantics (in-memory store, same conditions as DynamoDB)", () => {
  it("random batch splits, duplicates, replays and arrival orders converge to the brute-force latest", async () => {
    const limits = { maxRecords: 40, maxBatch: 12, maxSizes: 8, maxReplay: 15, maxReplays: 6 };
    await fc.assert(
      fc.asyncProperty(streamCutsArb(limits), async (cuts) => {
        const { streams } = cuts;
        const deliveries = shuffledDeliveries(cuts);
        const store = createMemoryLatestStore();
        let expectedWrites = 0;
        for (const batch of deliveries) {
          const newest = coalesceLatest(entries(batch));
          expectedWrites += new Set(newest.map((e) => e.tick.instrument)).size;
          await store.writeLatest(newest);
        }
        expect(store.writesIssued).toBe(expectedWrites); // one write per instrument per batch
        const expected = bruteForceLatest(streams.flatMap((s) => s.records));
        expect(asObject(store.items)).toEqual(asObject(expected));
      }),
      { numRuns: 400 },
    );
  });

  it("one shard in order: on equal event times the tick processed later wins (literal model)", async () => {
    await fc.assert(
      fc.asyncProperty(shardStreamsArb(60, 1), fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }), async ([shard], sizes) => {
        const store = createMemoryLatestStore();
        for (const [a, b] of cutBatches(shard!.records.length, sizes)) {
          await store.writeLatest(coalesceLatest(entries(shard!.records.slice(a, b))));
        }
        // literal model: walk the records in processing order, a tick replaces the kept one when
        // its event time is greater than or EQUAL to it
        const model = new Map<string, string>();
        const times = new Map<string, number>();
        for (const r of shard!.records) {
          for (const part of expectedParts(r)) {
            const d = decodeTick(Buffer.from(part.text));
            if (!d.ok) continue;
            const t = times.get(d.tick.instrument);
            if (t === undefined || d.tick.eventTime >= t) {
              times.set(d.tick.instrument, d.tick.eventTime);
              model.set(d.tick.instrument, `${r.position.sequenceNumber}/${part.subIndex}`);
            }
          }
        }
        expect(asObject(new Map([...store.items].map(([k, v]) => [k, `${v.sequenceNumber}/${v.subIndex}`])))).toEqual(asObject(model));
      }),
      { numRuns: 400 },
    );
  });

  it("an older tick arriving later never overwrites a newer one; a replay writes nothing", async () => {
    const store = createMemoryLatestStore();
    const rec = (text: string, seq: string) => toKinesisRecord(text, { shardId: SHARD, sequenceNumber: seq, arrivalTime: 1 });
    const newer = rec("sequence=200|instrument=3|price_0=2", "10");
    const older = rec("sequence=100|instrument=3|price_0=1", "11");
    await store.writeLatest(decodeBatch([newer]).ticks);
    const results = await store.writeLatest(decodeBatch([older]).ticks);
    expect(results.map((r) => r.status)).toEqual(["stale"]);
    expect((await store.getLatest("3"))!.priceCents).toBe(2);
    const replay = await store.writeLatest(decodeBatch([newer]).ticks);
    expect(replay.map((r) => r.status)).toEqual(["stale"]);
  });
});

describe("latest keys and the conditional PutItem", () => {
  it("spreads instruments over latest#0..3 by a stable hash", () => {
    expect(latestKey("3")).toEqual({ pk: `latest#${latestPartition("3")}`, sk: "3" });
    const parts = new Set(Array.from({ length: 100 }, (_, i) => latestPartition(String(i))));
    expect([...parts].sort()).toEqual([0, 1, 2, 3]);
  });

  it("builds one conditional put with exact cents, times, shard and padded sequence key", () => {
    const [entry] = decodeBatch([
      toKinesisRecord("sequence=1763800000123|reception=1763800000150|instrument=3|l=5|price_0=12345|price_1=12346|", {
        shardId: SHARD,
        sequenceNumber: "495903",
        arrivalTime: 1763800000200,
      }),
    ]).ticks;
    const input = latestPutInput("tbl", entry!);
    expect(input.ConditionExpression).toBe(LATEST_CONDITION);
    expect(input.Item).toEqual({
      pk: latestKey("3").pk,
      sk: "3",
      instrument: "3",
      priceCents: 12345,
      pricesCents: [12345, 12346],
      level: 5,
      eventTime: 1763800000123,
      receivedAt: 1763800000150,
      arrivalTime: 1763800000200,
      shardId: SHARD,
      seq: "495903",
      seqKey: "495903".padStart(128, "0"),
      sub: 0,
    });
    expect(input.ExpressionAttributeValues).toEqual({ ":t": 1763800000123, ":shard": SHARD, ":seqKey": "495903".padStart(128, "0"), ":sub": 0 });
  });
});

describe("processLatestBatch with injected faults (Lambda checkpoint semantics)", () => {
  it("loses nothing valid, reports the right records and writes each dead letter once (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        shardStreamsArb(40),
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        fc.constantFrom(0, 0.2, 0.5),
        async (streams, sizes, seed, faultRate) => {
          const rnd = prng(seed);
          const store = createMemoryLatestStore({ failOn: () => rnd() < faultRate });
          const bucket = new Map<string, string>();
          const deadLetters: DeadLetterWriter = async (bad) => {
            const result = { written: 0, failed: [] as typeof bad[number][], errors: [] as unknown[] };
            for (const object of deadLetterObjects(bad, "latest")) {
              if (rnd() < faultRate / 2) {
                result.failed.push(...object.records);
                result.errors.push(new Error("injected S3 failure"));
              } else {
                bucket.set(object.key, object.body);
                result.written += object.records.length;
              }
            }
            return result;
          };
          for (const shard of streams) {
            await driveShard(shard.records, sizes, async (batch) => {
              const outcome = await processLatestBatch(batch, { store, deadLetters });
              // exactly the failed writes' records (+ failed dead letters), lowest first
              const failedSeqs = new Set(outcome.response.batchItemFailures.map((f) => f.itemIdentifier));
              for (const f of outcome.failedWrites) expect(failedSeqs.has(f.position.sequenceNumber)).toBe(true);
              return outcome.response;
            }, 2000);
          }
          expect(asObject(store.items)).toEqual(asObject(bruteForceLatest(streams.flatMap((s) => s.records))));
          const lines = [...bucket.values()].flatMap((body) => body.trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l)));
          const keys = lines.map((l) => `${l.shardId}/${l.sequenceNumber}/${l.subIndex}`).sort();
          expect(keys).toEqual(badKeys(streams.flatMap((s) => s.records))); // each bad part once
          for (const l of lines) expect(l.consumer).toBe("latest");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reports the failed instrument's newest record, and dead-letters only what lies before it", async () => {
    const rec = (text: string, n: number) => toKinesisRecord(text, { shardId: SHARD, sequenceNumber: String(1000 + n), arrivalTime: Date.UTC(2026, 10, 22) });
    const batch = [
      rec("sequence=1|instrument=A|price_0=1", 1),
      rec("bad one", 2),
      rec("sequence=2|instrument=B|price_0=2", 3),
      rec("sequence=3|instrument=B|price_0=3", 4),
      rec("bad two", 5),
      rec("sequence=4|instrument=C|price_0=4", 6),
    ];
    const store = createMemoryLatestStore({ failOn: (e) => e.tick.instrument === "B" });
    const written: string[] = [];
    const outcome = await processLatestBatch({ Records: batch }, {
      store,
      deadLetters: async (bad) => {
        written.push(...bad.map((b) => b.position.sequenceNumber));
        return { written: bad.length, failed: [], errors: [] };
      },
    });
    expect(outcome.response).toEqual({ batchItemFailures: [{ itemIdentifier: "1004" }] });
    expect(written).toEqual(["1002"]);
    expect(outcome).toMatchObject({ records: 6, ticks: 4, badRecords: 2, instruments: 3, writesIssued: 3, written: 2, stale: 0, deadLettersDeferred: 1 });
  });
});
