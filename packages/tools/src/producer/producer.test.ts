import { decodeAggregated } from "@tickstream/core/ticks/kpl";
import { describe, expect, it } from "vitest";
import { createSource } from "./formats.js";
import { produce, type ProduceOptions, type SentRecord } from "./producer.js";
import type { PutRecordsFn } from "./putter.js";
import { seededRng } from "./random.js";
import { TokenBucket } from "./rate.js";

const dec = new TextDecoder();

/** A sink that accepts everything and notes when each record arrived. */
function recordingSink(latencyMs = 0) {
  const arrivals: { text: string; key: string; at: number }[] = [];
  const put: PutRecordsFn = async (request) => {
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    const at = performance.now();
    for (const r of request.Records)
      arrivals.push({ text: dec.decode(r.Data), key: r.PartitionKey, at });
    return {
      FailedRecordCount: 0,
      Records: request.Records.map((_, i) => ({ SequenceNumber: String(i), ShardId: "s" })),
    };
  };
  return { put, arrivals };
}

const seedSource = (seed = 1) =>
  createSource({ format: "kdg", partitionKey: "instrument", rng: seededRng(seed) });

/** A run into stream "s" drawn from `seed`, of the seed template's records unless given a source. */
const produceSeed = (
  options: Omit<ProduceOptions, "source" | "streamName" | "rng"> & Partial<ProduceOptions>,
  seed = 1,
) =>
  produce({
    streamName: "s",
    rng: seededRng(seed),
    ...options,
    source: options.source ?? seedSource(seed),
  });

/** A sink that fails every record with one error. */
const rejectingPut =
  (ErrorCode: string, ErrorMessage: string): PutRecordsFn =>
  async (request) => ({
    FailedRecordCount: request.Records.length,
    Records: request.Records.map(() => ({ ErrorCode, ErrorMessage })),
  });

/** The stop and abort signals of a run cut short after `ms`; retries quick enough to be cut. */
function cutShortAfter(ms: number) {
  const stop = new AbortController();
  const abort = new AbortController();
  setTimeout(() => (stop.abort(), abort.abort()), ms);
  return {
    stop: stop.signal,
    abort: abort.signal,
    retry: { maxRetries: 50, baseDelayMs: 20, maxDelayMs: 50 },
  };
}

describe("rate control", () => {
  it("produces about 200 records per second, measured at the sink", async () => {
    const sink = recordingSink(2);
    const started = performance.now();
    const stats = await produceSeed({
      put: sink.put,
      rate: 200,
      durationMs: 2_500,
    });
    const elapsed = performance.now() - started;
    expect(stats.failed).toBe(0);
    expect(stats.delivered).toBe(sink.arrivals.length);
    // Records that reached the sink per second of wall-clock time, start to finish.
    const measured = (sink.arrivals.length * 1000) / elapsed;
    expect(measured).toBeGreaterThan(200 * 0.75);
    expect(measured).toBeLessThan(200 * 1.25);
    // Between the first and the last arrival, too.
    const span = sink.arrivals.at(-1)!.at - sink.arrivals[0]!.at;
    expect(((sink.arrivals.length - 1) * 1000) / span).toBeGreaterThan(200 * 0.75);
    expect(((sink.arrivals.length - 1) * 1000) / span).toBeLessThan(200 * 1.25);
    // And evenly spread: every half second gets its share (no start-up burst).
    const t0 = sink.arrivals[0]!.at;
    const perHalfSecond = [0, 0, 0, 0, 0];
    for (const a of sink.arrivals) {
      const slot = Math.floor((a.at - t0) / 500);
      if (slot < 5) perHalfSecond[slot]!++;
    }
    for (const n of perHalfSecond.slice(0, 4)) {
      expect(n).toBeGreaterThan(100 * 0.5);
      expect(n).toBeLessThan(100 * 1.5);
    }
  });

  it("stops at --count and delivers exactly that many", async () => {
    const sink = recordingSink();
    const stats = await produceSeed({
      put: sink.put,
      rate: null,
      count: 1234,
    });
    expect(stats.generated).toBe(1234);
    expect(sink.arrivals).toHaveLength(1234);
    expect(stats.batches).toBeGreaterThanOrEqual(3);
  });

  it("the token bucket refills at the rate, up to the burst", () => {
    let t = 0;
    const bucket = new TokenBucket(100, { clock: { now: () => t } });
    expect(bucket.available()).toBe(1);
    bucket.take(1);
    expect(bucket.waitMs()).toBeCloseTo(10);
    t = 50;
    expect(bucket.available()).toBe(5);
    t = 10_000;
    expect(bucket.available()).toBe(10);
  });
});

describe("disorder and duplicates", () => {
  it("--disorder-ms makes arrival order differ from event-time order, by at most N ms", async () => {
    const sink = recordingSink();
    const stats = await produceSeed({
      put: sink.put,
      rng: seededRng(2),
      rate: 500,
      count: 500,
      disorderMs: 300,
      lingerMs: 5,
    });
    expect(stats.delivered).toBe(500);
    const seqs = sink.arrivals.map((a) => Number(/sequence=(\d+)/.exec(a.text)![1]));
    let inversions = 0;
    let maxLag = 0;
    let highest = 0;
    for (const s of seqs) {
      if (s < highest) {
        inversions++;
        maxLag = Math.max(maxLag, highest - s);
      }
      highest = Math.max(highest, s);
    }
    expect(inversions).toBeGreaterThan(50);
    expect(maxLag).toBeLessThanOrEqual(300 + 50);
  });

  it("--duplicates sends about that fraction twice, and nothing else twice", async () => {
    const sink = recordingSink();
    const delivered: SentRecord[] = [];
    const stats = await produceSeed(
      {
        source: createSource({ format: "stock", partitionKey: "random", rng: seededRng(3) }),
        put: sink.put,
        rate: null,
        count: 2000,
        duplicates: 0.1,
        onDelivered: (records) => delivered.push(...records),
      },
      3,
    );
    expect(stats.delivered).toBe(2000 + stats.duplicates);
    expect(stats.duplicates / 2000).toBeGreaterThan(0.07);
    expect(stats.duplicates / 2000).toBeLessThan(0.13);
    const counts = new Map<number, number>();
    for (const r of delivered) counts.set(r.seq, (counts.get(r.seq) ?? 0) + 1);
    expect(counts.size).toBe(2000);
    expect([...counts.values()].filter((n) => n === 2)).toHaveLength(stats.duplicates);
    // A duplicate is byte-identical to its original, partition key included.
    const bySeq = new Map<number, SentRecord>();
    for (const r of delivered) {
      const first = bySeq.get(r.seq);
      if (first) expect([r.text, r.partitionKey]).toEqual([first.text, first.partitionKey]);
      else bySeq.set(r.seq, r);
    }
  });
});

describe("stopping", () => {
  it("a stop signal ends generation and still delivers what is pending", async () => {
    const sink = recordingSink(20);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const stats = await produceSeed({
      put: sink.put,
      rate: 1000,
      disorderMs: 200,
      stop: stop.signal,
    });
    expect(stats.generated).toBeGreaterThan(100);
    expect(stats.failed).toBe(0);
    expect(sink.arrivals).toHaveLength(stats.generated);
  });

  it("an abort signal gives up on pending records and counts them as failed", async () => {
    const stats = await produceSeed({
      put: rejectingPut("ProvisionedThroughputExceededException", "slow down"),
      rate: 100,
      ...cutShortAfter(300),
    });
    expect(stats.generated).toBeGreaterThan(0);
    expect(stats.delivered).toBe(0);
    expect(stats.failed).toBe(stats.generated);
  });

  it("a fatal error stops the run and counts every record as failed", async () => {
    const put: PutRecordsFn = async () => {
      throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
    };
    const stats = await produceSeed({
      put,
      rate: null,
      count: 5000,
    });
    expect(stats.fatal).toMatch(/ResourceNotFoundException/);
    expect(stats.delivered).toBe(0);
    expect(stats.failed).toBe(stats.generated);
  });
});

describe("records", () => {
  it("partition keys: the instrument by default, random on request", () => {
    const byInstrument = createSource({
      format: "kdg",
      partitionKey: "instrument",
      rng: seededRng(1),
    });
    for (let i = 0; i < 20; i++) {
      const r = byInstrument(Date.now());
      expect(r.partitionKey).toBe(/instrument=(\d+)/.exec(r.data)![1]);
    }
    const stock = createSource({
      format: "stock",
      partitionKey: "instrument",
      rng: seededRng(1),
      stock: { tickers: ["X", "Y"] },
    });
    expect(["X", "Y"]).toContain(stock(Date.now()).partitionKey);
    const random = createSource({ format: "kdg", partitionKey: "random", rng: seededRng(1) });
    const keys = new Set(Array.from({ length: 50 }, () => random(Date.now()).partitionKey));
    expect(keys.size).toBe(50);
    const templated = createSource({
      format: "stock",
      partitionKey: "key-{{random.number(2)}}",
      rng: seededRng(1),
    });
    expect(templated(Date.now()).partitionKey).toMatch(/^key-[012]$/);
  });

  it("refuses a ticker that is not an instrument id before anything is made", () => {
    expect(() =>
      createSource({
        format: "stock",
        partitionKey: "instrument",
        rng: seededRng(1),
        stock: { tickers: ["AAPL", "BRK B"] },
      }),
    ).toThrow(/ticker "BRK B" is not a valid instrument id/);
  });

  it("stock-trade JSON as in the Kinesis Data Analytics tutorials", () => {
    const source = createSource({ format: "stock", partitionKey: "instrument", rng: seededRng(4) });
    const now = Date.UTC(2026, 10, 22, 10, 0, 0, 123);
    for (let i = 0; i < 500; i++) {
      const { data } = source(now);
      expect(data).toMatch(
        /^\{"EVENT_TIME": "2026-11-22T10:00:00\.123\d{3}", "TICKER": "(AAPL|AMZN|MSFT|INTC|TBV)", "PRICE": \d+\.\d{1,2}\}$/,
      );
      const price = JSON.parse(data).PRICE;
      expect(price).toBeGreaterThanOrEqual(0);
      expect(price).toBeLessThan(100.005);
      expect(Math.round(price * 100) / 100).toBe(price);
    }
  });
});

// Thousands of ticks through the whole loop: allow for a loaded machine.
describe("packing ticks into records", { timeout: 30_000 }, () => {
  /** A sink that reads packed records back into their ticks, as a consumer would. */
  function unpackingSink(mode: "kpl" | "lines") {
    const records: { key: string; bytes: number; ticks: { key: string; text: string }[] }[] = [];
    const put: PutRecordsFn = async (request) => {
      for (const r of request.Records) {
        let ticks: { key: string; text: string }[];
        if (mode === "lines") {
          ticks = dec
            .decode(r.Data)
            .split("\n")
            .map((text) => ({ key: r.PartitionKey, text }));
        } else {
          const agg = decodeAggregated(r.Data);
          if (!agg.ok) throw new Error(agg.reason);
          ticks = agg.records.map((sub) => {
            if (!sub.ok) throw new Error(sub.reason);
            return { key: sub.partitionKey, text: dec.decode(sub.data) };
          });
        }
        records.push({ key: r.PartitionKey, bytes: r.Data.byteLength, ticks });
      }
      return {
        FailedRecordCount: 0,
        Records: request.Records.map((_, i) => ({ SequenceNumber: String(i), ShardId: "s" })),
      };
    };
    return { put, records };
  }

  for (const mode of ["kpl", "lines"] as const) {
    it(`${mode}: per partition key, up to the size limit, every tick once and in order`, async () => {
      const sink = unpackingSink(mode);
      const delivered: SentRecord[] = [];
      const stats = await produceSeed(
        {
          put: sink.put,
          rate: null,
          count: 5000,
          aggregate: { mode, maxBytes: 8192 },
          onDelivered: (ticks) => delivered.push(...ticks),
        },
        6,
      );
      expect(stats).toMatchObject({ generated: 5000, delivered: 5000, failed: 0 });
      expect(stats.recordsDelivered).toBe(sink.records.length);
      // About 8 KiB of ~230-byte ticks per record: far fewer records than ticks.
      expect(sink.records.length).toBeLessThan(5000 / 20);
      for (const r of sink.records) {
        expect(r.bytes).toBeLessThanOrEqual(8192);
        expect(new Set(r.ticks.map((t) => t.key))).toEqual(new Set([r.key]));
        for (const t of r.ticks) expect(t.text).toContain(`|instrument=${r.key}|`);
      }
      const received = sink.records.flatMap((r) => r.ticks.map((t) => t.text));
      expect(received).toHaveLength(5000);
      expect(new Set(received)).toEqual(new Set(delivered.map((d) => d.text)));
      // Per key, ticks arrive in the order they were generated.
      const order = new Map(delivered.map((d) => [d.text, d.seq]));
      const last = new Map<string, number>();
      for (const r of sink.records) {
        for (const t of r.ticks) {
          const seq = order.get(t.text)!;
          expect(seq).toBeGreaterThan(last.get(r.key) ?? -1);
          last.set(r.key, seq);
        }
      }
    });
  }

  it("random partition keys share records; in KPL each tick keeps its own key", async () => {
    const sink = unpackingSink("kpl");
    const stats = await produceSeed(
      {
        source: createSource({ format: "stock", partitionKey: "random", rng: seededRng(8) }),
        put: sink.put,
        rate: null,
        count: 1000,
        aggregate: { mode: "kpl", groupOf: () => "" },
      },
      8,
    );
    expect(stats.delivered).toBe(1000);
    expect(sink.records.length).toBeLessThanOrEqual(3);
    const keys = sink.records.flatMap((r) => r.ticks.map((t) => t.key));
    expect(new Set(keys).size).toBe(1000);
    for (const r of sink.records) expect(r.key).toBe(r.ticks[0]!.key);
  });

  it("the rate counts ticks, not records; a record waits at most the linger for more", async () => {
    const sink = unpackingSink("kpl");
    const stats = await produceSeed(
      {
        source: createSource({
          format: "stock",
          partitionKey: "instrument",
          rng: seededRng(9),
          stock: { tickers: ["ONE"] },
        }),
        put: sink.put,
        rate: 400,
        durationMs: 1_500,
        aggregate: { mode: "kpl", lingerMs: 200 },
      },
      9,
    );
    // 400 ticks/s for 1.5 s, whatever the packing; one key, so a record every ~200 ms.
    expect(stats.delivered).toBeGreaterThan(600 * 0.75);
    expect(stats.delivered).toBeLessThan(600 * 1.25);
    expect(sink.records.length).toBeGreaterThanOrEqual(5);
    expect(sink.records.length).toBeLessThanOrEqual(12);
    expect(stats.recordsDelivered).toBe(sink.records.length);
  });

  it("a tick too big for a record with the KPL envelope fails as too large; alone it goes", async () => {
    const key = "k";
    // Exactly 1 MiB with its key: fits as a record of its own, not inside an aggregate.
    const data = "x".repeat(1024 * 1024 - key.length);
    const source = () => ({ data, partitionKey: key });
    const none = await produceSeed({
      source,
      put: recordingSink().put,
      rate: null,
      count: 1,
    });
    expect(none).toMatchObject({ delivered: 1, failed: 0 });
    const kpl = await produceSeed({
      source,
      put: recordingSink().put,
      rate: null,
      count: 1,
      aggregate: { mode: "kpl", maxBytes: 1024 * 1024 },
    });
    expect(kpl).toMatchObject({ delivered: 0, failed: 1, failures: { RecordTooLarge: 1 } });
  });

  it("an abort counts every pending tick as failed, with the records that carried them", async () => {
    const stats = await produceSeed({
      put: rejectingPut("InternalFailure", "oops"),
      rate: 2000,
      ...cutShortAfter(300),
      aggregate: { mode: "lines" },
    });
    expect(stats.generated).toBeGreaterThan(100);
    expect(stats.delivered).toBe(0);
    expect(stats.failed).toBe(stats.generated);
    expect(stats.recordsFailed).toBeGreaterThan(0);
    expect(stats.recordsFailed).toBeLessThan(stats.generated / 5);
  });
});
