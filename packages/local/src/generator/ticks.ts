import { PutRecordsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { listShards } from "@tickstream/core/kinesis/shards";
import { seededRandom } from "@tickstream/core/random";
import { encodePipe } from "@tickstream/core/ticks/encode";
import { Waker, errorMessage, type Log } from "../timing.js";
import { KPL_DEFAULT_MAX_BYTES, packAll, type AggregateMode, type PackItem } from "./pack.js";
import { openShardRanges, shardOfKey, type ShardRange } from "./shard-map.js";

/**
 * A tick generator for the local runtime: a handful of instruments whose prices take a random
 * walk in integer cents, written in the Kinesis Data Generator's pipe format and put with
 * PutRecords a few times a second. By default each put carries KPL aggregated records, packed
 * as the KPL packs them: per shard the partition keys map to, each tick keyed by its instrument.
 */

export interface GeneratorOptions {
  /** Number of instruments (ids 1..n). Default 10. */
  instruments?: number;
  /** Ticks per second per instrument. Default 3. */
  ticksPerSecond?: number;
  /** Price levels per tick (price_0 … price_{n-1}). Default 9, as the KDG template. */
  levels?: number;
  /** Deterministic runs: a seed for the random walk. */
  seed?: number;
  /** How ticks are put: KPL aggregated records (default), lines, or one per record. */
  aggregate?: AggregateMode;
  /** Most bytes of data per packed record. Default: the KPL's 51,200. */
  aggregateMaxBytes?: number;
}

export interface Tick {
  instrument: string;
  eventTime: number;
  receivedAt: number;
  level: number;
  pricesCents: number[];
}

/** Produces ticks for a set of instruments; each call to `next` advances one instrument's walk. */
export class TickSource {
  private readonly prices: number[];
  private readonly random: () => number;
  private readonly levels: number;

  constructor(options: GeneratorOptions = {}) {
    this.random = seededRandom(options.seed ?? Date.now());
    const n = options.instruments ?? 10;
    this.levels = options.levels ?? 9;
    this.prices = Array.from({ length: n }, () => 5_000 + Math.floor(this.random() * 45_000));
  }

  get instruments(): number {
    return this.prices.length;
  }

  next(index: number, now: number): Tick {
    const current = this.prices[index]!;
    // A step of up to ±0.2 %, at least one cent, never below one dollar.
    const step = Math.max(1, Math.round(current * 0.002 * this.random()));
    const price = Math.max(100, current + (this.random() < 0.5 ? -step : step));
    this.prices[index] = price;
    const pricesCents = Array.from({ length: this.levels }, (_, level) =>
      level === 0
        ? price
        : Math.max(
            1,
            price + (level % 2 === 0 ? 1 : -1) * level * Math.max(1, Math.round(price * 0.0005)),
          ),
    );
    const eventTime = now - Math.floor(this.random() * 20);
    return {
      instrument: String(index + 1),
      eventTime,
      receivedAt: now,
      level: Math.floor(this.random() * 10),
      pricesCents,
    };
  }
}

export class TickGenerator {
  private readonly source: TickSource;
  private readonly waker = new Waker();
  private stopping = false;
  private running: Promise<void> | undefined;
  private readonly ticksPerSecond: number;
  private readonly aggregate: AggregateMode;
  private readonly maxBytes: number;
  /** Open shards of the stream, for packing per shard; null until listed (or if listing fails). */
  private shards: ShardRange[] | null = null;
  /** Ticks delivered. */
  sent = 0;
  /** Kinesis records delivered. */
  records = 0;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    private readonly log: Log,
    options: GeneratorOptions = {},
  ) {
    this.source = new TickSource(options);
    this.ticksPerSecond = options.ticksPerSecond ?? 3;
    this.aggregate = options.aggregate ?? "kpl";
    this.maxBytes = options.aggregateMaxBytes ?? KPL_DEFAULT_MAX_BYTES;
  }

  start(): void {
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    const periodMs = 250;
    let credit = 0;
    let errorStreak = 0;
    while (!this.stopping) {
      const started = Date.now();
      credit += (this.ticksPerSecond * periodMs) / 1000;
      const perInstrument = Math.floor(credit);
      credit -= perInstrument;
      const ticks: PackItem[] = [];
      for (let k = 0; k < perInstrument; k++) {
        for (let i = 0; i < this.source.instruments; i++) {
          const tick = this.source.next(i, Date.now());
          ticks.push({ data: Buffer.from(encodePipe(tick)), partitionKey: tick.instrument });
        }
      }
      if (ticks.length > 0 && this.aggregate !== "none" && this.shards === null) {
        this.shards = await this.listOpenShards();
      }
      const shards = this.shards;
      const records = packAll(ticks, {
        mode: this.aggregate,
        maxBytes: this.maxBytes,
        // As the KPL: ticks bound for one shard share a record (keyed by the first tick's key,
        // which maps to that shard); without the shard map, ticks of one key do.
        groupOf: (t) => (shards?.length ? shardOfKey(t.partitionKey, shards) : t.partitionKey),
      });
      for (let i = 0; i < records.length && !this.stopping; i += 500) {
        try {
          const chunk = records.slice(i, i + 500);
          const res = await this.kinesis.send(
            new PutRecordsCommand({
              StreamName: this.streamName,
              Records: chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
            }),
          );
          const results = res.Records ?? [];
          chunk.forEach((r, j) => {
            if (results[j]?.ErrorCode === undefined) {
              this.sent += r.items.length;
              this.records++;
            }
          });
          errorStreak = 0;
        } catch (err) {
          if (!this.stopping && errorStreak++ % 40 === 0)
            this.log.warn(`generator: put failed: ${errorMessage(err)}`);
        }
      }
      await this.waker.sleep(periodMs - (Date.now() - started));
    }
  }

  private async listOpenShards(): Promise<ShardRange[] | null> {
    try {
      return openShardRanges(await listShards(this.kinesis, this.streamName));
    } catch (err) {
      this.log.warn(`generator: cannot list shards, packing per instrument: ${errorMessage(err)}`);
      return [];
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.running;
  }
}
