import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record,
} from "@aws-sdk/client-kinesis";
import type { ShardReadCache } from "./read-cache.js";

/** Kinesis's own cap on the data one GetRecords call returns. */
export const GET_RECORDS_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Reads one shard in order from a starting point (after a sequence number, or the oldest
 * record), remembering how far it has read so that an expired iterator or a failed call
 * resumes at the same place. With a cache shared by the runtime's readers, records another
 * reader has fetched already are taken from memory.
 */
export class ShardReader {
  private iterator: string | undefined;
  private lastRead: string | undefined;
  /** Data bytes per record of the last records read, to size the next call. */
  private recordBytes = 0;
  closed = false;

  constructor(
    private readonly kinesis: KinesisClient,
    readonly streamName: string,
    readonly shardId: string,
    startAfter?: string,
    private readonly cache?: ShardReadCache,
  ) {
    this.lastRead = startAfter;
    cache?.join(this, streamName, shardId, startAfter);
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

  /**
   * Up to `limit` records (fewer or none when caught up) and, beyond the first record, about
   * `maxBytes` of data at most (the local server has no cap of its own; its answers are sized
   * from the records read before). Throws on service errors.
   */
  async read(limit: number, maxBytes = GET_RECORDS_MAX_BYTES): Promise<_Record[]> {
    if (this.closed) return [];
    const cached = this.fromCache(limit, maxBytes);
    if (cached) return cached;
    const after = this.lastRead;
    if (this.cache && after !== undefined) {
      // Another reader is fetching the same records: wait for them rather than fetch them too.
      const pending = this.cache.pending(this.streamName, this.shardId, after);
      if (pending) {
        await pending;
        const fetched = this.fromCache(limit, maxBytes);
        if (fetched) return fetched;
      }
      const fetch = this.fetch(limit, maxBytes);
      this.cache.fetching(this.streamName, this.shardId, after, fetch);
      return fetch;
    }
    return this.fetch(limit, maxBytes);
  }

  private fromCache(limit: number, maxBytes: number): _Record[] | undefined {
    const cached = this.cache?.take(this, this.streamName, this.shardId, this.lastRead, limit, maxBytes);
    if (!cached) return undefined;
    this.lastRead = cached[cached.length - 1]!.SequenceNumber;
    // The iterator is behind now: the next call to the server opens one from here.
    this.iterator = undefined;
    return cached;
  }

  private async fetch(limit: number, maxBytes: number): Promise<_Record[]> {
    const after = this.lastRead;
    try {
      this.iterator ??= await this.open();
      if (!this.iterator) {
        this.closed = true;
        return [];
      }
      const bytesLimit =
        this.recordBytes > 0 ? Math.floor(Math.max(0, maxBytes) / this.recordBytes) : limit;
      const res = await this.kinesis.send(
        new GetRecordsCommand({
          ShardIterator: this.iterator,
          Limit: Math.max(1, Math.min(10_000, limit, bytesLimit)),
        }),
      );
      const records = res.Records ?? [];
      if (records.length > 0) {
        this.lastRead = records[records.length - 1]!.SequenceNumber;
        const bytes = records.reduce((n, r) => n + (r.Data?.byteLength ?? 0), 0);
        this.recordBytes = Math.max(1, bytes / records.length);
      }
      this.cache?.add(this, this.streamName, this.shardId, after, records);
      this.iterator = res.NextShardIterator;
      // A closed shard (after a reshard) ends with no next iterator.
      if (!this.iterator) {
        this.closed = true;
        this.release();
      }
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
    this.cache?.join(this, this.streamName, this.shardId, sequenceNumber);
  }

  /** Reads no more (stopped, or at the end of a closed shard): holds no cached records back. */
  release(): void {
    this.cache?.forget(this, this.streamName, this.shardId);
  }
}
