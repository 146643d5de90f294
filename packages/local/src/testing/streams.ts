import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record,
} from "@aws-sdk/client-kinesis";
import { listShards } from "@tickstream/core/kinesis/shards";
import { openShardRanges, shardOfKey as shardOf } from "../generator/shard-map.js";

/** Test helpers for reading and writing the local streams. */

/** The shard a partition key lands on (Kinesis: MD5 of the key as a 128-bit number). */
export async function shardOfKey(kinesis: KinesisClient, stream: string) {
  const ranges = openShardRanges(await listShards(kinesis, stream));
  return (key: string) => {
    const id = shardOf(key, ranges);
    if (!id) throw new Error(`no open shard of ${stream} takes the key ${key}`);
    return id;
  };
}

/**
 * Reads every shard of a stream from its oldest record on, a little more at each `poll()`.
 * It keeps sequence numbers, not iterators, so it carries on across a restart of the server.
 */
export class StreamTail {
  readonly records: _Record[] = [];
  private readonly last = new Map<string, string>();

  constructor(readonly stream: string) {}

  async poll(kinesis: KinesisClient): Promise<_Record[]> {
    const fresh: _Record[] = [];
    for (const shard of await listShards(kinesis, this.stream)) {
      const id = shard.ShardId!;
      const after = this.last.get(id);
      let iterator = (
        await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: this.stream,
            ShardId: id,
            ...(after
              ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: after }
              : { ShardIteratorType: "TRIM_HORIZON" }),
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const out = await kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
        );
        const records = out.Records ?? [];
        if (records.length === 0) break;
        fresh.push(...records);
        this.last.set(id, records[records.length - 1]!.SequenceNumber!);
        iterator = out.NextShardIterator;
      }
    }
    this.records.push(...fresh);
    return fresh;
  }
}
