import { rm } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PutRecordsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { listShards } from "@tickstream/core/kinesis/shards";
import { mergeShards, splitShard, upperChild } from "@tickstream/testkit/reshard";
import type { StartLocalOptions } from "../runtime.js";
import { hourPrefix } from "@tickstream/core/archive/keys";
import { encodeAggregated } from "@tickstream/core/ticks/kpl";
import { archivedLines, getObject, listKeys, multiset } from "../testing/archive.js";
import { outsideClients, portsOf } from "../testing/scenario.js";
import { startTestRuntime, tempDataDir } from "../testing/test-runtime.js";

describe("local archive delivery", () => {
  let dir: string;
  const noop = async () => ({ batchItemFailures: [] });
  const base: StartLocalOptions = {
    archive: { bufferIntervalMs: 300, bufferSizeBytes: 4096 },
    poller: { idlePollMs: 20 },
    handlers: {
      latest: noop,
      windows: noop,
      windowsTimer: async () => undefined,
      api: async () => ({ statusCode: 200 }),
    },
  };

  beforeAll(async () => {
    dir = await tempDataDir("archive");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function put(kinesis: KinesisClient, stream: string, values: (string | Buffer)[]) {
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      const res = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: chunk.map((v, j) => ({
            Data: typeof v === "string" ? Buffer.from(v) : v,
            PartitionKey: String(i + j),
          })),
        }),
      );
      expect(res.FailedRecordCount ?? 0).toBe(0);
    }
  }

  it("writes every record once, one per line, gzipped, under raw/YYYY/MM/DD/HH/, across a restart", async () => {
    let rt = await startTestRuntime(dir, base);
    const ports = portsOf(rt.outputs);
    let c = outsideClients(rt.outputs);
    const t0 = Date.now();
    const first = Array.from({ length: 700 }, (_, i) =>
      i % 3 === 0 ? `line-${i}\n` : `line-${i}`,
    );
    await put(c.kinesis, rt.outputs.pricesStream, first);
    await rt.flushArchive();

    const keys = await listKeys(c.s3, rt.outputs.archiveBucket, "raw/");
    expect(keys.length).toBeGreaterThan(1); // the 4 KiB buffer forces several objects
    for (const key of keys) {
      expect(key).toMatch(
        /^raw\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/tickstream-prices-archive-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/,
      );
      // Arrival hours (UTC) of this test: the put happened between t0 and now.
      expect([`raw/${hourPrefix(t0)}`, `raw/${hourPrefix(Date.now())}`]).toContain(
        key.slice(0, 18),
      );
    }
    const body = gunzipSync(await getObject(c.s3, rt.outputs.archiveBucket, keys[0]!)).toString();
    expect(body.endsWith("\n")).toBe(true);
    expect(body).not.toContain("\n\n"); // a record that had its newline gets no second one

    // Stop with records still unread, start again on the same data directory.
    const second = Array.from({ length: 400 }, (_, i) => `second-${i}`);
    await put(c.kinesis, rt.outputs.pricesStream, second.slice(0, 200));
    c.destroy();
    await rt.stop();

    rt = await startTestRuntime(dir, { ...base, ports });
    c = outsideClients(rt.outputs);
    await put(c.kinesis, rt.outputs.pricesStream, second.slice(200));
    await rt.flushArchive();
    const lines = await archivedLines(c.s3, rt.outputs.archiveBucket);
    const expected = [...first, ...second].map((v) => v.replace(/\n$/, ""));
    expect(multiset(lines)).toEqual(multiset(expected));
    c.destroy();
    await rt.stop();
  });

  it("de-aggregates KPL records into one line per sub-record; keeps a damaged aggregate as it came", async () => {
    const own = await tempDataDir("archive-kpl");
    const rt = await startTestRuntime(own, base);
    const c = outsideClients(rt.outputs);
    const aggregate = encodeAggregated(
      ["kpl-1", "kpl-2\n", "kpl-3\nkpl-4"].map((d, i) => ({ partitionKey: `k${i}`, data: Buffer.from(d) })),
    );
    const damaged = Buffer.from(encodeAggregated([{ partitionKey: "k", data: Buffer.from("lost") }]));
    damaged[damaged.length - 1]! ^= 1;
    await put(c.kinesis, rt.outputs.pricesStream, ["plain-1", aggregate, "lines-1\nlines-2\n", damaged]);
    await rt.flushArchive();
    const lines = await archivedLines(c.s3, rt.outputs.archiveBucket);
    // The damaged record's bytes as the helper reads them back (UTF-8, split at newlines).
    const damagedLines = (damaged.at(-1) === 0x0a ? damaged.subarray(0, -1) : damaged).toString("utf8").split("\n");
    expect(multiset(lines)).toEqual(
      multiset(["plain-1", "kpl-1", "kpl-2", "kpl-3", "kpl-4", "lines-1", "lines-2", ...damagedLines]),
    );
    const bodies = await Promise.all(
      (await listKeys(c.s3, rt.outputs.archiveBucket, "raw/")).map(async (k) => gunzipSync(await getObject(c.s3, rt.outputs.archiveBucket, k))),
    );
    expect(bodies.some((b) => b.includes(damaged))).toBe(true);
    c.destroy();
    await rt.stop();
    await rm(own, { recursive: true, force: true });
  });

  it("follows a reshard: a split and a merge lose nothing and archive nothing twice, across a restart", async () => {
    const own = await tempDataDir("archive-reshard");
    let rt = await startTestRuntime(own, base);
    const ports = portsOf(rt.outputs);
    let c = outsideClients(rt.outputs);
    const stream = rt.outputs.pricesStream;
    const batch = (name: string) => Array.from({ length: 300 }, (_, i) => `${name}-${i}`);
    const sent = [...batch("before")];
    await put(c.kinesis, stream, sent);
    await rt.flushArchive();

    const second = (await listShards(c.kinesis, stream))[1]!.ShardId!;
    const split = await splitShard(c.kinesis, stream);
    sent.push(...batch("split"));
    await put(c.kinesis, stream, batch("split"));
    await rt.flushArchive();
    expect(multiset(await archivedLines(c.s3, rt.outputs.archiveBucket))).toEqual(multiset(sent));

    // Stop, merge the split's upper child with the other shard while stopped, start again.
    c.destroy();
    await rt.stop();
    rt = await startTestRuntime(own, { ...base, ports });
    c = outsideClients(rt.outputs);
    await mergeShards(c.kinesis, stream, await upperChild(c.kinesis, stream, split), second);
    sent.push(...batch("merged"));
    await put(c.kinesis, stream, batch("merged"));
    await rt.flushArchive();
    const shards = await listShards(c.kinesis, stream);
    expect(shards).toHaveLength(2 + 2 + 1);
    expect(multiset(await archivedLines(c.s3, rt.outputs.archiveBucket))).toEqual(multiset(sent));
    c.destroy();
    await rt.stop();
    await rm(own, { recursive: true, force: true });
  });
});
