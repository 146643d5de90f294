import type { _Record } from "@aws-sdk/client-kinesis";
import { compareSequence } from "./checkpoint.js";

/**
 * Records read from a stream's shards, kept in memory so that the runtime's other readers of the
 * same shard (both consumers and the archive read every record) take them from here instead of
 * fetching them again from the local Kinesis server. Each reader still keeps its own position
 * and iterator; only reads that reach past what is held go to the server, and what they bring
 * back is added. A shard's records form one run in shard order, and a record is held only while
 * some reader has yet to pass it, within a byte cap beyond which the oldest are let go (a
 * reader that far behind reads from the server, as without the cache).
 *
 * Only the local runtime uses it: in AWS each event source mapping and Firehose read the
 * stream themselves.
 */

interface Run {
  /** Sequence number of the record just before the first one held. */
  after: string;
  records: _Record[];
  /** Index in `records` of the first record held (those before it are let go). */
  head: number;
  /** Sequence number -> index in `records`. */
  index: Map<string, number>;
  bytes: number;
}

interface Shard {
  run: Run | undefined;
  /**
   * Each reader's position: the sequence number it has read up to (undefined: it starts from
   * the oldest record). A record is held until every reader has passed it.
   */
  positions: Map<object, string | undefined>;
}

export interface CacheStats {
  /** Records served from memory. */
  hits: number;
  /** Records the readers fetched from the server. */
  fetched: number;
}

const dataBytes = (r: _Record) => r.Data?.byteLength ?? 0;

export class ShardReadCache {
  private readonly shards = new Map<string, Shard>();
  /** Reads from the server in progress, by shard and the position they read after. */
  private readonly inflight = new Map<string, Promise<void>>();
  readonly stats: CacheStats = { hits: 0, fetched: 0 };

  /** @param maxBytesPerShard most record data held per shard. */
  constructor(readonly maxBytesPerShard = 32 * 1024 * 1024) {}

  private shard(stream: string, shardId: string): Shard {
    const key = `${stream}\u0000${shardId}`;
    let shard = this.shards.get(key);
    if (!shard) this.shards.set(key, (shard = { run: undefined, positions: new Map() }));
    return shard;
  }

  /** A read from the server of the records after `after`, in progress (settles when done). */
  pending(stream: string, shardId: string, after: string): Promise<void> | undefined {
    return this.inflight.get(`${stream}\u0000${shardId}\u0000${after}`);
  }

  /** Marks a read from the server of the records after `after` as in progress until `read` settles. */
  fetching(stream: string, shardId: string, after: string, read: Promise<unknown>): void {
    const key = `${stream}\u0000${shardId}\u0000${after}`;
    const done: Promise<void> = read.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.set(key, done);
    void done.then(() => {
      if (this.inflight.get(key) === done) this.inflight.delete(key);
    });
  }

  /** A reader of the shard, reading after `position` (undefined: from the oldest record). */
  join(reader: object, stream: string, shardId: string, position: string | undefined): void {
    const shard = this.shard(stream, shardId);
    shard.positions.set(reader, position);
    this.trim(shard);
  }

  /** A reader no longer reads the shard: it holds no records back any more. */
  forget(reader: object, stream: string, shardId: string): void {
    const shard = this.shard(stream, shardId);
    shard.positions.delete(reader);
    this.trim(shard);
  }

  /**
   * Records right after `after` (in shard order), at most `limit` of them and, beyond the first,
   * at most `maxBytes` of data; undefined when none are held, so that the reader goes to the
   * server (an empty answer always comes from the server: being caught up means something).
   */
  take(
    reader: object,
    stream: string,
    shardId: string,
    after: string | undefined,
    limit: number,
    maxBytes = Infinity,
  ): _Record[] | undefined {
    const shard = this.shard(stream, shardId);
    const run = shard.run;
    if (!run || after === undefined) return undefined;
    const from = after === run.after ? run.head : (run.index.get(after) ?? -2) + 1;
    if (from < run.head || from >= run.records.length) return undefined;
    const out: _Record[] = [];
    let bytes = 0;
    for (let i = from; i < run.records.length && out.length < limit; i++) {
      const r = run.records[i]!;
      bytes += dataBytes(r);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(r);
    }
    this.stats.hits += out.length;
    shard.positions.set(reader, out[out.length - 1]!.SequenceNumber!);
    this.trim(shard);
    return out;
  }

  /** What a reader fetched from the server: the records right after `after`, in order. */
  add(
    reader: object,
    stream: string,
    shardId: string,
    after: string | undefined,
    records: _Record[],
  ): void {
    this.stats.fetched += records.length;
    if (records.length === 0) return;
    const shard = this.shard(stream, shardId);
    shard.positions.set(reader, records[records.length - 1]!.SequenceNumber!);
    if (after === undefined) {
      // From the oldest record: where that was is not known, so nothing joins up with it.
      this.trim(shard);
      return;
    }
    let run = shard.run;
    const end = run ? this.end(run) : undefined;
    let fresh = records;
    if (run && end !== undefined && after !== end) {
      if (after === run.after || run.index.has(after)) {
        // Read at the same time as another reader: keep what goes beyond the run.
        fresh = records.filter((r) => compareSequence(r.SequenceNumber!, end) > 0);
      } else if (compareSequence(after, end) > 0) {
        // A gap: start again from here.
        run = undefined;
      } else {
        // Behind what is held (let go already): nothing new.
        fresh = [];
      }
    }
    if (!run) shard.run = run = { after, records: [], head: 0, index: new Map(), bytes: 0 };
    for (const r of fresh) {
      run.index.set(r.SequenceNumber!, run.records.length);
      run.records.push(r);
      run.bytes += dataBytes(r);
    }
    this.trim(shard);
  }

  /** Records and bytes held for a shard. */
  held(stream: string, shardId: string): { records: number; bytes: number } {
    const run = this.shard(stream, shardId).run;
    return run
      ? { records: run.records.length - run.head, bytes: run.bytes }
      : { records: 0, bytes: 0 };
  }

  private end(run: Run): string {
    return run.records.length > run.head
      ? run.records[run.records.length - 1]!.SequenceNumber!
      : run.after;
  }

  /** Where a reader at `position` reads next in the run; a reader behind it needs all of it. */
  private next(run: Run, position: string | undefined): number {
    if (position === undefined || position === run.after) return run.head;
    const i = run.index.get(position);
    if (i !== undefined) return i + 1;
    return compareSequence(position, run.after) < 0 ? run.head : run.records.length;
  }

  /** Lets go of records every reader has passed, and of the oldest beyond the byte cap. */
  private trim(shard: Shard): void {
    const run = shard.run;
    if (!run) return;
    let keepFrom = run.records.length;
    for (const position of shard.positions.values())
      keepFrom = Math.min(keepFrom, this.next(run, position));
    while (
      run.head < run.records.length &&
      (run.head < keepFrom || run.bytes > this.maxBytesPerShard)
    ) {
      const r = run.records[run.head]!;
      run.index.delete(r.SequenceNumber!);
      run.bytes -= dataBytes(r);
      run.after = r.SequenceNumber!;
      run.head += 1;
    }
    // Compact once most of the array is let go, so that it does not grow without end.
    if (run.head > 1024 && run.head * 2 > run.records.length) {
      run.records = run.records.slice(run.head);
      run.index = new Map(run.records.map((r, i) => [r.SequenceNumber!, i]));
      run.head = 0;
    }
  }
}
