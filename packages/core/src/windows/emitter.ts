import { PutRecordsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { windowRecordJson, type WindowResult } from "./result.js";

/**
 * Where closed windows go: the `windows` Kinesis stream, one record per (instrument, window),
 * partition key = instrument (so one instrument's results stay on one shard).
 */
export interface SinkRecord {
  partitionKey: string;
  data: string;
}

export interface WindowSink {
  /**
   * Puts the records; resolves with the indexes of those that were not put (throttled or
   * failed), which may be retried. Rejects when the outcome is unknown (some may be put).
   */
  put(records: readonly SinkRecord[]): Promise<number[]>;
}

export function sinkRecordOf(result: WindowResult): SinkRecord {
  return { partitionKey: result.instrument, data: windowRecordJson(result) };
}

/** PutRecords takes at most 500 records per call. */
export const PUT_RECORDS_MAX = 500;

export function kinesisWindowSink(client: KinesisClient, streamName: string): WindowSink {
  return {
    async put(records) {
      const failed: number[] = [];
      for (let offset = 0; offset < records.length; offset += PUT_RECORDS_MAX) {
        const chunk = records.slice(offset, offset + PUT_RECORDS_MAX);
        const out = await client.send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: chunk.map((r) => ({ PartitionKey: r.partitionKey, Data: Buffer.from(r.data, "utf8") })),
          }),
        );
        if (out.FailedRecordCount) {
          (out.Records ?? []).forEach((r, i) => {
            if (r.ErrorCode) failed.push(offset + i);
          });
        }
      }
      return failed;
    },
  };
}

/** Collects records in memory (tests, benchmarks, the consume tool's checks). */
export class MemoryWindowSink implements WindowSink {
  readonly records: SinkRecord[] = [];
  async put(records: readonly SinkRecord[]): Promise<number[]> {
    this.records.push(...records.map((r) => ({ ...r })));
    return [];
  }
}
