import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { describe, expect, it } from "vitest";
import { encodeAggregated } from "@tickstream/core/ticks/kpl";
import {
  readStream,
  userRecords,
  type KinesisLike,
  type ReadRecord,
  type ReaderEvent,
  type StartPosition,
} from "./reader.js";

interface FakeShard {
  id: string;
  parents: string[];
  records: { seq: string; key: string; text: string | Uint8Array; at: number }[];
  closed: boolean;
}

/**
 * An in-memory stream that behaves like Kinesis: GetRecords pages of at most two records,
 * ChildShards on a closed shard's last page, no NextShardIterator past a closed shard's end,
 * and one throttling error per shard at the first read.
 */
class FakeKinesis implements KinesisLike {
  shards: FakeShard[] = [];
  private throttled = new Set<string>();
  private seq = 0;
  calls: string[] = [];

  constructor(private readonly childShardsInResponse = true) {}

  addShard(id: string, parents: string[] = []): void {
    this.shards.push({ id, parents, records: [], closed: false });
  }

  put(shardId: string, key: string, text: string | Uint8Array, at = Date.now()): void {
    const shard = this.shards.find((s) => s.id === shardId)!;
    if (shard.closed) throw new Error(`put to closed shard ${shardId}`);
    shard.records.push({ seq: String(++this.seq).padStart(6, "0"), key, text, at });
  }

  close(shardId: string): void {
    this.shards.find((s) => s.id === shardId)!.closed = true;
  }

  async send(command: unknown): Promise<unknown> {
    await new Promise((r) => setTimeout(r, 1));
    if (command instanceof ListShardsCommand) {
      this.calls.push("ListShards");
      return {
        Shards: this.shards.map((s) => ({
          ShardId: s.id,
          ParentShardId: s.parents[0],
          AdjacentParentShardId: s.parents[1],
          SequenceNumberRange: {
            StartingSequenceNumber: "0",
            EndingSequenceNumber: s.closed ? "999999" : undefined,
          },
        })),
      };
    }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId, ShardIteratorType, StartingSequenceNumber, Timestamp } = command.input;
      const shard = this.shards.find((s) => s.id === ShardId)!;
      let index = 0;
      if (ShardIteratorType === "LATEST") index = shard.records.length;
      if (ShardIteratorType === "AT_TIMESTAMP") {
        index = shard.records.findIndex((r) => r.at >= Timestamp!.getTime());
        if (index < 0) index = shard.records.length;
      }
      if (ShardIteratorType === "AFTER_SEQUENCE_NUMBER")
        index = shard.records.findIndex((r) => r.seq === StartingSequenceNumber) + 1;
      this.calls.push(`GetShardIterator ${ShardId} ${ShardIteratorType}`);
      return { ShardIterator: `${ShardId}@${index}` };
    }
    if (command instanceof GetRecordsCommand) {
      const [id, at] = command.input.ShardIterator!.split("@");
      if (!this.throttled.has(id!)) {
        this.throttled.add(id!);
        throw Object.assign(new Error("Rate exceeded for shard"), {
          name: "ProvisionedThroughputExceededException",
        });
      }
      const shard = this.shards.find((s) => s.id === id)!;
      const index = Number(at);
      const page = shard.records.slice(index, index + 2);
      const next = index + page.length;
      const atEnd = shard.closed && next >= shard.records.length;
      const children = this.shards.filter((s) => s.parents.includes(shard.id));
      return {
        Records: page.map((r) => ({
          SequenceNumber: r.seq,
          PartitionKey: r.key,
          Data: typeof r.text === "string" ? new TextEncoder().encode(r.text) : r.text,
          ApproximateArrivalTimestamp: new Date(r.at),
        })),
        NextShardIterator: atEnd ? undefined : `${id}@${next}`,
        MillisBehindLatest: next >= shard.records.length ? 0 : 1000,
        ...(atEnd && this.childShardsInResponse
          ? {
              ChildShards: children.map((c) => ({
                ShardId: c.id,
                ParentShards: c.parents,
                HashKeyRange: { StartingHashKey: "0", EndingHashKey: "1" },
              })),
            }
          : {}),
      };
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }
}

async function collect(
  fake: FakeKinesis,
  from: StartPosition,
  until: (got: ReadRecord[]) => boolean,
  during?: () => void,
) {
  const got: ReadRecord[] = [];
  const events: ReaderEvent[] = [];
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort(), 8_000);
  const done = readStream({
    client: fake,
    streamName: "s",
    from,
    signal: stop.signal,
    pollIntervalMs: 5,
    busyIntervalMs: 1,
    discoveryIntervalMs: 50,
    onEvent: (e) => events.push(e),
    onRecords: (records) => {
      got.push(...records);
      if (until(got)) stop.abort();
    },
  });
  during?.();
  await done;
  clearTimeout(timeout);
  return { got, events, texts: got.map((r) => new TextDecoder().decode(r.data)) };
}

/** A parent split into two children, which are then merged into one. */
function reshardedStream(childShardsInResponse: boolean): FakeKinesis {
  const fake = new FakeKinesis(childShardsInResponse);
  fake.addShard("p");
  for (let i = 0; i < 5; i++) fake.put("p", `k${i % 2}`, `p-${i}`);
  fake.close("p");
  fake.addShard("a", ["p"]);
  fake.addShard("b", ["p"]);
  for (let i = 0; i < 3; i++) fake.put("a", "k0", `a-${i}`);
  for (let i = 0; i < 3; i++) fake.put("b", "k1", `b-${i}`);
  fake.close("a");
  fake.close("b");
  fake.addShard("m", ["a", "b"]);
  for (let i = 0; i < 3; i++) fake.put("m", `k${i % 2}`, `m-${i}`);
  return fake;
}

describe("readStream", () => {
  for (const childShards of [true, false]) {
    it(`reads parents before children across a split and a merge (${childShards ? "ChildShards" : "ListShards only"})`, async () => {
      const fake = reshardedStream(childShards);
      const { texts, events } = await collect(
        fake,
        { type: "TRIM_HORIZON" },
        (got) => got.length >= 14,
      );
      expect(texts).toHaveLength(14);
      expect(new Set(texts).size).toBe(14);
      const pos = (t: string) => texts.indexOf(t);
      // Every parent record comes before every child record; the merged shard comes last.
      for (let i = 0; i < 5; i++)
        for (const c of ["a-0", "b-0", "m-0"]) expect(pos(`p-${i}`)).toBeLessThan(pos(c));
      for (const c of ["a-2", "b-2"]) expect(pos(c)).toBeLessThan(pos("m-0"));
      // Within a shard, in sequence order.
      for (const s of ["p", "a", "b", "m"]) {
        const mine = texts.filter((t) => t.startsWith(`${s}-`));
        expect(mine).toEqual([...mine].sort());
      }
      expect(
        events
          .filter((e) => e.type === "shard-end")
          .map((e) => e.shardId)
          .sort(),
      ).toEqual(["a", "b", "p"]);
      expect(events.some((e) => e.type === "retry")).toBe(true);
    });
  }

  it("from LATEST: skips closed shards and old records, reads children of a later split from their start", async () => {
    const fake = new FakeKinesis();
    fake.addShard("old");
    fake.put("old", "k", "old-0");
    fake.close("old");
    fake.addShard("x", ["old"]);
    fake.put("x", "k", "x-before");
    const { texts } = await collect(
      fake,
      { type: "LATEST" },
      (got) => got.length >= 3,
      () =>
        setTimeout(() => {
          fake.put("x", "k", "x-after");
          fake.close("x");
          fake.addShard("y", ["x"]);
          fake.put("y", "k", "y-0");
          fake.put("y", "k", "y-1");
        }, 100),
    );
    expect(texts).toEqual(["x-after", "y-0", "y-1"]);
  });

  it("from a timestamp: records that arrived at or after it", async () => {
    const fake = new FakeKinesis();
    fake.addShard("s0");
    fake.addShard("s1");
    fake.put("s0", "k", "early", 1_000);
    fake.put("s1", "k", "early-too", 1_500);
    fake.put("s0", "k", "late", 3_000);
    fake.put("s1", "k", "late-too", 2_000);
    const { texts } = await collect(
      fake,
      { type: "AT_TIMESTAMP", timestamp: 2_000 },
      (got) => got.length >= 2,
    );
    expect(texts.sort()).toEqual(["late", "late-too"]);
  });

  it("stops promptly when aborted", async () => {
    const fake = new FakeKinesis();
    fake.addShard("s0");
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 100);
    await readStream({
      client: fake,
      streamName: "s",
      from: { type: "LATEST" },
      signal: stop.signal,
      onRecords: () => {},
      pollIntervalMs: 1_000,
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe("KPL aggregates on the read stream", () => {
  it("come out as their sub-records, in order, with the aggregate's sequence number; a damaged one as it came", async () => {
    const fake = new FakeKinesis();
    fake.addShard("shardId-000000000000");
    const aggregate = encodeAggregated([
      { partitionKey: "3", data: Buffer.from('{"instrument":"3","windowStart":0,"windowEnd":60000,"max":1.5}') },
      { partitionKey: "7", data: Buffer.from('{"instrument":"7","windowStart":0,"windowEnd":60000,"max":2.5}') },
    ]);
    const damaged = Buffer.from(aggregate);
    damaged[damaged.length - 1]! ^= 1;
    fake.put("shardId-000000000000", "a", "plain");
    fake.put("shardId-000000000000", "b", aggregate);
    fake.put("shardId-000000000000", "c", damaged);
    const { got } = await collect(fake, { type: "TRIM_HORIZON" }, (g) => g.length >= 4);
    expect(got.map((r) => [r.sequenceNumber, r.subSequenceNumber, r.partitionKey, Buffer.from(r.data).toString("latin1")])).toEqual([
      ["000001", undefined, "a", "plain"],
      ["000002", 0, "3", '{"instrument":"3","windowStart":0,"windowEnd":60000,"max":1.5}'],
      ["000002", 1, "7", '{"instrument":"7","windowStart":0,"windowEnd":60000,"max":2.5}'],
      ["000003", undefined, "c", damaged.toString("latin1")],
    ]);
  });

  it("userRecords leaves a plain record alone", () => {
    const record = { shardId: "s", sequenceNumber: "1", partitionKey: "k", arrivalTime: 0, data: Buffer.from("x") };
    expect(userRecords(record)).toEqual([record]);
  });
});
