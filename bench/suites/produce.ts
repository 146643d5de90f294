import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { listShards } from "../../packages/core/src/kinesis/shards.js";
import { encodePipe } from "../../packages/core/src/ticks/encode.js";
import { packAll } from "../../packages/local/src/generator/pack.js";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { LocalOutputsLike } from "../types.js";

/** A Kinesis client for the local server (kinesalite refuses HTTP/2). */
export function kinesisFor(o: LocalOutputsLike): KinesisClient {
  return new KinesisClient({
    region: o.region,
    endpoint: o.kinesisEndpoint,
    credentials: o.credentials ?? { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true, maxSockets: 16 } as never }),
    maxAttempts: 3,
  });
}

export async function shardIds(kin: KinesisClient, stream: string): Promise<string[]> {
  return (await listShards(kin, stream)).map((s) => s.ShardId!);
}

export interface Put {
  shardId: string;
  sequenceNumber: string;
  /** Ticks the record carries (1 when absent). */
  ticks?: number;
}

/** PutRecords in calls of at most 500; returns where each record went (failed entries are dropped). */
export async function putLines(kin: KinesisClient, stream: string, lines: { data: string; key: string }[]): Promise<{ puts: Put[]; failed: number }> {
  const puts: Put[] = [];
  let failed = 0;
  for (let i = 0; i < lines.length; i += 500) {
    const chunk = lines.slice(i, i + 500);
    const res = await kin.send(
      new PutRecordsCommand({ StreamName: stream, Records: chunk.map((l) => ({ Data: Buffer.from(l.data, "utf8"), PartitionKey: l.key })) }),
    );
    for (const r of res.Records ?? []) {
      if (r.SequenceNumber && r.ShardId) puts.push({ shardId: r.ShardId, sequenceNumber: r.SequenceNumber });
      else failed++;
    }
  }
  return { puts, failed };
}

/**
 * Puts ticks packed into KPL aggregated records per partition key (as `npm run produce` packs
 * them, up to the KPL's 51,200 bytes), in calls of at most 500 records and 5 MiB.
 */
export async function putPacked(kin: KinesisClient, stream: string, lines: { data: string; key: string }[]): Promise<{ puts: Put[]; failed: number; records: number }> {
  const records = packAll(
    lines.map((l) => ({ data: Buffer.from(l.data, "utf8"), partitionKey: l.key })),
    { mode: "kpl" },
  );
  const puts: Put[] = [];
  let failed = 0;
  for (let i = 0; i < records.length; ) {
    let bytes = 0;
    let j = i;
    while (j < records.length && j - i < 500 && bytes + records[j]!.data.byteLength <= 5 * 1024 * 1024) bytes += records[j++]!.data.byteLength;
    const chunk = records.slice(i, j);
    const res = await kin.send(new PutRecordsCommand({ StreamName: stream, Records: chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })) }));
    (res.Records ?? []).forEach((r, k) => {
      if (r.SequenceNumber && r.ShardId) puts.push({ shardId: r.ShardId, sequenceNumber: r.SequenceNumber, ticks: chunk[k]!.items.length });
      else failed += chunk[k]!.items.length;
    });
    i = j;
  }
  return { puts, failed, records: records.length };
}

/** One tick in the pipe format of the Kinesis Data Generator template. */
export function pipeTick(instrument: string, eventTime: number, priceCents: number, level = 5): string {
  const pricesCents = Array.from({ length: 9 }, (_, p) => priceCents + p);
  return encodePipe({ instrument, eventTime, receivedAt: eventTime, level, pricesCents });
}
