import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { constants, gzip as gzipCallback } from "node:zlib";
import type { KinesisClient, _Record } from "@aws-sdk/client-kinesis";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listShards } from "@tickstream/core/kinesis/shards";
import { decodeAggregated, isAggregated } from "@tickstream/core/ticks/kpl";
import { CheckpointStore } from "../poller/checkpoint.js";
import type { ShardReadCache } from "../poller/read-cache.js";
import { shardsToStart } from "../poller/lineage.js";
import { ShardReader } from "../poller/shard-reader.js";
import { Mutex, Waker, errorMessage, waitUntil, type Log } from "../timing.js";
import { ARCHIVE_PREFIXES, archiveObjectKey, hourPrefix } from "@tickstream/core/archive/keys";

/**
 * The local stand-in for the Firehose delivery stream: its own reader of the prices stream (own
 * checkpoints, independent of the consumers), buffering by size and interval, one record per
 * line (a newline appended where missing), GZIP, objects under `raw/YYYY/MM/DD/HH/` by arrival
 * time (UTC). KPL aggregates are de-aggregated, as Firehose does with a Kinesis stream source:
 * one line per sub-record (see deliveredLines). Checkpoints move only after the object is
 * stored, so a crash re-delivers rather than loses. Resharding is followed as Firehose's
 * Kinesis source follows it: a closed shard is delivered to its end, then its children are read.
 */

export interface ArchiveOptions {
  kinesis: KinesisClient;
  s3: S3Client;
  streamName: string;
  bucket: string;
  /** Name used in object keys, as Firehose uses the delivery stream's name. */
  deliveryStreamName: string;
  checkpoints: CheckpointStore;
  bufferSizeBytes: number;
  bufferIntervalMs: number;
  idlePollMs?: number;
  log: Log;
  /** Records the runtime's other readers of the stream have read already. */
  cache?: ShardReadCache;
}

const gzipAsync = promisify(gzipCallback);

/** How often the stream's shards are listed, to find the children of a reshard (as the consumers' pollers). */
const SHARD_SYNC_MS = 1000;

/**
 * In the thread pool, not on the runtime's main thread. Fastest level: on tick lines it
 * compresses about 10:1 against 11:1 at the default level, at five times the speed (measured:
 * 19 against 103 ms per 5 MiB), and CPU is what bounds the local pipeline's rate.
 */
const gzip = (data: Buffer) => gzipAsync(data, { level: constants.Z_BEST_SPEED });

interface Buffered {
  shardId: string;
  sequenceNumber: string;
  arrivalMs: number;
  line: Buffer;
}

interface ReaderState {
  reader: ShardReader;
  lastEmptyReadAt: number;
}

const NEWLINE = 0x0a;

export function toLine(data: Uint8Array): Buffer {
  const buf = Buffer.from(data);
  return buf.length > 0 && buf[buf.length - 1] === NEWLINE
    ? buf
    : Buffer.concat([buf, Buffer.from("\n")]);
}

/**
 * What the archive writes for one Kinesis record. A KPL aggregate becomes its sub-records, each
 * a line (a sub-record of newline-separated ticks gives those lines), so that `raw/` holds ticks
 * one per line whatever the producer packed; a sub-record the consumers refuse (a key over the
 * Kinesis limits, say) is still archived, its data being intact. A damaged aggregate (wrong
 * magic, truncated, bad protobuf or MD5) is archived as it came, like any bad record.
 */
export function deliveredLines(data: Uint8Array): Buffer {
  if (isAggregated(data)) {
    const aggregate = decodeAggregated(data);
    if (aggregate.ok) return Buffer.concat(aggregate.records.map((sub) => toLine(sub.data)));
  }
  return toLine(data);
}

export class ArchiveDelivery {
  private readers: ReaderState[] = [];
  /** Shards closed by a reshard and delivered to their end (in this run or an earlier one). */
  private readonly finished = new Set<string>();
  private syncedAt = 0;
  private buffer: Buffered[] = [];
  private bufferBytes = 0;
  private firstBufferedAt: number | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  private readonly waker = new Waker();
  private readonly mutex = new Mutex();
  objectsWritten = 0;
  recordsDelivered = 0;

  constructor(private readonly options: ArchiveOptions) {}

  async start(): Promise<void> {
    await this.sync();
    this.running = this.loop().catch((err) =>
      this.options.log.error(`archive: stopped: ${errorMessage(err)}`),
    );
  }

  /** Lists the shards; starts reading those a reshard has made ready. True if any started. */
  private async sync(): Promise<boolean> {
    const { kinesis, streamName, checkpoints, cache } = this.options;
    const syncedAt = Date.now();
    const ready = await shardsToStart(await listShards(kinesis, streamName), {
      reading: (id) => this.readers.some((s) => s.reader.shardId === id),
      finished: this.finished,
      checkpoints,
    });
    for (const id of ready) {
      this.readers.push({
        reader: new ShardReader(kinesis, streamName, id, await checkpoints.get(id), cache),
        lastEmptyReadAt: 0,
      });
    }
    this.syncedAt = syncedAt;
    return ready.length > 0;
  }

  /** Closed shards read to their end with nothing of them left in the buffer: their children may start. */
  private async finishClosed(): Promise<void> {
    for (const state of this.readers.filter((s) => s.reader.closed)) {
      const id = state.reader.shardId;
      if (this.buffer.some((b) => b.shardId === id)) continue;
      // Nothing of it left in the buffer: everything read is delivered, its checkpoint is where the reader is.
      await this.options.checkpoints.finish(id, state.reader.position);
      this.finished.add(id);
      this.readers = this.readers.filter((s) => s !== state);
      this.syncedAt = 0;
    }
  }

  private append(shardId: string, records: _Record[]): void {
    for (const r of records) {
      const line = deliveredLines(r.Data ?? new Uint8Array());
      this.buffer.push({
        shardId,
        sequenceNumber: r.SequenceNumber!,
        arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
        line,
      });
      this.bufferBytes += line.length;
    }
    if (this.buffer.length > 0) this.firstBufferedAt ??= Date.now();
  }

  private due(): boolean {
    if (this.buffer.length === 0) return false;
    return (
      this.bufferBytes >= this.options.bufferSizeBytes ||
      Date.now() - (this.firstBufferedAt ?? Date.now()) >= this.options.bufferIntervalMs
    );
  }

  private async loop(): Promise<void> {
    const { log } = this.options;
    let errorStreak = 0;
    while (!this.stopping) {
      let gotAny = false;
      await this.mutex.run(async () => {
        if (Date.now() - this.syncedAt >= SHARD_SYNC_MS) {
          try {
            await this.sync();
          } catch (err) {
            // The readers already running go on; the listing is tried again next pass.
            log.warn(`archive: cannot list the shards: ${errorMessage(err)}`);
            this.syncedAt = Date.now();
          }
        }
        for (const state of [...this.readers]) {
          if (this.stopping) return;
          const readAt = Date.now();
          try {
            const records = await state.reader.read(10_000);
            errorStreak = 0;
            if (records.length === 0) state.lastEmptyReadAt = readAt;
            else {
              gotAny = true;
              this.append(state.reader.shardId, records);
            }
          } catch (err) {
            if (this.stopping) return;
            if (errorStreak++ === 0)
              log.warn(`archive: read failed, retrying: ${errorMessage(err)}`);
          }
          if (this.due()) {
            try {
              await this.deliver();
            } catch (err) {
              // Kept in the buffer, checkpoints unmoved: tried again on the next pass.
              log.warn(`archive: delivery failed, retrying: ${errorMessage(err)}`);
              await this.waker.sleep(1000);
            }
          }
        }
        await this.finishClosed().catch((err) =>
          log.warn(`archive: cannot record the end of a shard, retrying: ${errorMessage(err)}`),
        );
      });
      if (!gotAny) await this.waker.sleep(this.options.idlePollMs ?? 200);
    }
  }

  /** Writes the buffer as objects (one per arrival hour), then moves the checkpoints. */
  private async deliver(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    const groups = new Map<string, Buffered[]>();
    for (const item of batch) {
      const hour = hourPrefix(item.arrivalMs);
      const group = groups.get(hour);
      if (group) group.push(item);
      else groups.set(hour, [item]);
    }
    for (const group of groups.values()) {
      const body = await gzip(Buffer.concat(group.map((g) => g.line)));
      const firstArrival = Math.min(...group.map((g) => g.arrivalMs));
      await this.put(firstArrival, body);
    }
    // Every record of the batch is stored: move each shard's checkpoint past its last one.
    const last = new Map<string, string>();
    for (const item of batch) last.set(item.shardId, item.sequenceNumber);
    for (const [shardId, seq] of last) await this.options.checkpoints.set(shardId, seq);
    this.recordsDelivered += batch.length;
    this.buffer = [];
    this.bufferBytes = 0;
    this.firstBufferedAt = undefined;
  }

  private async put(arrivalMs: number, body: Buffer): Promise<void> {
    const { s3, bucket, deliveryStreamName, log } = this.options;
    const random = randomUUID();
    const attempt = async (key: string) =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: "application/octet-stream",
        }),
      );
    const rawKey = archiveObjectKey(ARCHIVE_PREFIXES.raw, deliveryStreamName, arrivalMs, random);
    let lastError: unknown;
    for (let i = 0; i < 4; i++) {
      try {
        await attempt(rawKey);
        this.objectsWritten += 1;
        return;
      } catch (err) {
        lastError = err;
        if (this.stopping && i > 0) break;
        await new Promise((r) => setTimeout(r, 250 * 2 ** i));
      }
    }
    // As Firehose does with what it cannot deliver, keep it under the error prefix.
    const errorKey = archiveObjectKey(
      `${ARCHIVE_PREFIXES.errors}s3-delivery-failed/`,
      deliveryStreamName,
      arrivalMs,
      random,
    );
    log.warn(
      `archive: cannot write ${rawKey} (${errorMessage(lastError)}); writing it under ${ARCHIVE_PREFIXES.errors}`,
    );
    await attempt(errorKey);
    this.objectsWritten += 1;
  }

  /** Writes whatever is buffered now. */
  flush(): Promise<void> {
    return this.mutex.run(() => this.deliver());
  }

  /**
   * Reads everything put before this call, then writes it out: on a resharded stream, through
   * the children of every shard closed by then.
   */
  async drain(timeoutMs = 60_000): Promise<void> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    await this.mutex.run(() => this.sync());
    for (;;) {
      this.waker.wake();
      await waitUntil(
        () => this.readers.every((s) => s.reader.closed || s.lastEmptyReadAt >= since),
        "the archive to catch up",
        Math.max(1, deadline - Date.now()),
      );
      await this.mutex.run(async () => {
        await this.deliver();
        await this.finishClosed();
      });
      // Children of a shard finished just now hold records put before `since`, too.
      if (!(await this.mutex.run(() => this.sync()))) return;
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.running;
    for (const state of this.readers) state.reader.release();
    try {
      await this.mutex.run(() => this.deliver());
    } catch (err) {
      // Not checkpointed: the records are delivered again on the next start.
      this.options.log.warn(
        `archive: final flush failed, will deliver on next start: ${errorMessage(err)}`,
      );
    }
  }

  status() {
    return {
      buffered: this.buffer.length,
      bufferedBytes: this.bufferBytes,
      objectsWritten: this.objectsWritten,
      recordsDelivered: this.recordsDelivered,
    };
  }
}
