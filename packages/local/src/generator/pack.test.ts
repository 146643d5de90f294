import { AggregateBuilder, decodeAggregated } from "@tickstream/core/ticks/kpl";
import { describe, expect, it } from "vitest";
import {
  KINESIS_MAX_RECORD_BYTES,
  KPL_DEFAULT_MAX_BYTES,
  packAll,
  Packer,
  type PackedRecord,
  type PackItem,
} from "./pack.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Tick extends PackItem {
  n: number;
}

/** Ticks of a few keys, of varying lengths, numbered in order. */
function ticks(count: number, keys = ["1", "2", "3"], seed = 1): Tick[] {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  return Array.from({ length: count }, (_, n) => {
    const partitionKey = keys[Math.floor(rand() * keys.length)]!;
    const text = `tick=${n}|instrument=${partitionKey}|pad=${"x".repeat(Math.floor(rand() * 300))}|`;
    return { n, partitionKey, data: enc.encode(text) };
  });
}

/** The ticks a record holds, read back as a consumer reads it. */
function unpack(
  mode: "kpl" | "lines",
  record: PackedRecord<Tick>,
): { key: string; text: string }[] {
  if (mode === "lines") {
    return dec
      .decode(record.data)
      .split("\n")
      .map((text) => ({ key: record.partitionKey, text }));
  }
  const agg = decodeAggregated(record.data);
  if (!agg.ok) throw new Error(agg.reason);
  return agg.records.map((r) => {
    if (!r.ok) throw new Error(r.reason);
    return { key: r.partitionKey, text: dec.decode(r.data) };
  });
}

/** Data bytes of a record of these ticks, had it been packed in one. */
function sizeOf(mode: "kpl" | "lines", items: readonly Tick[]): number {
  if (mode === "lines") return items.reduce((n, t) => n + t.data.byteLength, 0) + items.length - 1;
  const b = new AggregateBuilder();
  for (const t of items) b.add(t);
  return b.byteLength;
}

describe("packing ticks into records", { timeout: 30_000 }, () => {
  for (const mode of ["kpl", "lines"] as const) {
    it(`${mode}: records stay within the limit, are full, and carry every tick once, in order per key`, () => {
      const input = ticks(3000);
      const maxBytes = 4096;
      const records = packAll(input, { mode, maxBytes });
      expect(records.length).toBeGreaterThan(3000 / 40);
      const seen: Tick[] = [];
      const lastOfKey = new Map<string, PackedRecord<Tick>>();
      const nextOf = new Map<PackedRecord<Tick>, Tick>();
      for (const r of records) {
        expect(r.data.byteLength).toBeLessThanOrEqual(maxBytes);
        expect(r.data.byteLength).toBe(sizeOf(mode, r.items));
        // One key per record (the default group), and the record goes with it.
        expect(new Set(r.items.map((t) => t.partitionKey))).toEqual(new Set([r.partitionKey]));
        const read = unpack(mode, r);
        expect(read).toEqual(
          r.items.map((t) => ({ key: t.partitionKey, text: dec.decode(t.data) })),
        );
        const prev = lastOfKey.get(r.partitionKey);
        if (prev) nextOf.set(prev, r.items[0]!);
        lastOfKey.set(r.partitionKey, r);
        seen.push(...r.items);
      }
      expect(seen.map((t) => t.n).sort((a, b) => a - b)).toEqual(input.map((t) => t.n));
      for (const key of ["1", "2", "3"]) {
        const ns = records
          .filter((r) => r.partitionKey === key)
          .flatMap((r) => r.items.map((t) => t.n));
        expect(ns).toEqual([...ns].sort((a, b) => a - b));
      }
      // Full: a record was closed only because its key's next tick would not fit.
      for (const [r, next] of nextOf)
        expect(sizeOf(mode, [...r.items, next])).toBeGreaterThan(maxBytes);
    });
  }

  it("lines: a record that fits to the byte is one record; one byte less splits it", () => {
    const items = ticks(5, ["k"]);
    const exact = sizeOf("lines", items);
    expect(packAll(items, { mode: "lines", maxBytes: exact })).toHaveLength(1);
    const split = packAll(items, { mode: "lines", maxBytes: exact - 1 });
    expect(split).toHaveLength(2);
    expect(split[0]!.items).toHaveLength(4);
    expect(dec.decode(split[0]!.data)).toBe(
      items
        .slice(0, 4)
        .map((t) => dec.decode(t.data))
        .join("\n"),
    );
  });

  it("kpl: the same boundary, counted with the envelope and the key table", () => {
    const items = ticks(5, ["k", "other"]);
    const exact = sizeOf("kpl", items);
    const one = packAll(items, { mode: "kpl", maxBytes: exact, groupOf: () => "" });
    expect(one).toHaveLength(1);
    expect(one[0]!.data.byteLength).toBe(exact);
    expect(packAll(items, { mode: "kpl", maxBytes: exact - 1, groupOf: () => "" })).toHaveLength(2);
  });

  it("one group for every key: the record takes its first tick's key, each tick keeps its own", () => {
    const input = ticks(50, ["a", "b", "c", "d"]);
    const [record, ...rest] = packAll(input, { mode: "kpl", groupOf: () => "" });
    expect(rest).toHaveLength(0);
    expect(record!.partitionKey).toBe(input[0]!.partitionKey);
    expect(unpack("kpl", record!).map((r) => r.key)).toEqual(input.map((t) => t.partitionKey));
  });

  it("a tick bigger than the limit goes alone; none puts every tick as it is", () => {
    const small = ticks(4, ["k"]);
    const big: Tick = { n: 99, partitionKey: "k", data: enc.encode("y".repeat(5000)) };
    const input = [small[0]!, small[1]!, big, small[2]!, small[3]!];
    const lines = packAll(input, { mode: "lines", maxBytes: 1000 });
    expect(lines.map((r) => r.items.map((t) => t.n))).toEqual([[0, 1], [99], [2, 3]]);
    const none = packAll(input, { mode: "none" });
    expect(none).toHaveLength(5);
    expect(none[2]!.data).toBe(big.data);
  });

  it("leaves room for the partition key under Kinesis's 1 MiB", () => {
    const key = "k".repeat(200);
    const room = KINESIS_MAX_RECORD_BYTES - key.length;
    const pair = (extra: number): Tick[] => [
      { n: 0, partitionKey: key, data: new Uint8Array(room - 400_001 + extra) },
      { n: 1, partitionKey: key, data: new Uint8Array(400_000) },
    ];
    const limit = { mode: "lines" as const, maxBytes: KINESIS_MAX_RECORD_BYTES };
    const fits = packAll(pair(0), limit);
    expect(fits).toHaveLength(1);
    expect(fits[0]!.data.byteLength + key.length).toBe(KINESIS_MAX_RECORD_BYTES);
    expect(packAll(pair(1), limit)).toHaveLength(2);
    const kpl = packAll([...pair(0), ...pair(0)], { ...limit, mode: "kpl" });
    for (const r of kpl)
      expect(r.data.byteLength + key.length).toBeLessThanOrEqual(KINESIS_MAX_RECORD_BYTES);
  });

  it("records of groups whose first tick has waited long enough are due; the rest wait", () => {
    const p = new Packer<Tick>({ mode: "kpl" });
    const [a, b, c] = ticks(3, ["a"]).map((t, i) => ({ ...t, partitionKey: ["a", "b", "a"][i]! }));
    expect(p.add(a!, 0)).toEqual([]);
    expect(p.add(b!, 50)).toEqual([]);
    expect(p.add(c!, 80)).toEqual([]);
    expect(p.size).toBe(3);
    expect(p.oldest()).toBe(0);
    const due = p.due(20);
    expect(due.map((r) => r.items.map((t) => t.n))).toEqual([[0, 2]]);
    expect(p.size).toBe(1);
    expect(p.oldest()).toBe(50);
    expect(p.flush().map((r) => r.partitionKey)).toEqual(["b"]);
    expect(p.oldest()).toBeUndefined();
    p.add(a!, 100);
    expect(p.drain()).toEqual([a]);
    expect(p.size).toBe(0);
  });

  it("knows the size of a record holding one tick, envelope and key included", () => {
    const t = ticks(1, ["key"])[0]!;
    expect(new Packer<Tick>({ mode: "none" }).aloneBytes(t)).toBe(t.data.byteLength + 3);
    expect(new Packer<Tick>({ mode: "lines" }).aloneBytes(t)).toBe(t.data.byteLength + 3);
    expect(new Packer<Tick>({ mode: "kpl" }).aloneBytes(t)).toBe(
      packAll([t], { mode: "kpl" })[0]!.data.byteLength + 3,
    );
  });

  it("refuses a limit outside 1 byte to 1 MiB, and defaults to the KPL's", () => {
    expect(new Packer({ mode: "kpl" }).maxBytes).toBe(KPL_DEFAULT_MAX_BYTES);
    expect(() => new Packer({ mode: "kpl", maxBytes: 0 })).toThrow(/1 to 1048576 bytes/);
    expect(() => new Packer({ mode: "lines", maxBytes: KINESIS_MAX_RECORD_BYTES + 1 })).toThrow(
      RangeError,
    );
    expect(() => new Packer({ mode: "lines", maxBytes: 1.5 })).toThrow(RangeError);
  });
});
