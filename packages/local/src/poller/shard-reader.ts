import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record,
} from "@aws-sdk/client-kinesis";

/**
 * Reads one shard in order from a starting point (after a sequence number, or the oldest
 * record), remembering how far it has read so that an expired iterator or a failed call
 * resumes at the same place.
 */
export class ShardReader {
  private iterator: string | undefined;
  private lastRead: string | undefined;
  closed = false;

  constructor(
    private readonly kinesis: KinesisClient,
    readonly streamName: string,
    readonly shardId: string,
    startAfter?: string,
  ) {
    this.lastRead = startAfter;
  }

  /** Sequence number of the last record returned (or the starting point). */
  get position(): string | undefined {
    return this.lastRead;
  }

  private async open(): Promise<string | undefined> {
    const { ShardIterator } = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: this.shardId,
        ...(this.lastRead
          ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: this.lastRead }
          : { ShardIteratorType: "TRIM_HORIZON" }),
      }),
    );
    return ShardIterator;
  }

  /** Up to `limit` records (fewer or none when caught up). Throws on service errors. */
  async read(limit: number): Promise<_Record[]> {
    if (this.closed) return [];
    try {
      this.iterator ??= await this.open();
      if (!this.iterator) {
        this.closed = true;
        return [];
      }
      const res = await this.kinesis.send(
        new GetRecordsCommand({
          ShardIterator: this.iterator,
          Limit: Math.max(1, Math.min(10_000, limit)),
        }),
      );
      const records = res.Records ?? [];
      if (records.length > 0) this.lastRead = records[records.length - 1]!.SequenceNumber;
      this.iterator = res.NextShardIterator;
      // A closed shard (after a reshard) ends with no next iterator.
      if (!this.iterator) this.closed = true;
      return records;
    } catch (err) {
      this.iterator = undefined;
      throw err;
    }
  }

  /** Goes back to read again right after `sequenceNumber` (or from the oldest record). */
  rewind(sequenceNumber: string | undefined): void {
    this.lastRead = sequenceNumber;
    this.iterator = undefined;
    this.closed = false;
  }
}
