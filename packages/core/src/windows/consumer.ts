import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { WindowConfig } from "../config.js";
import { batchItemFailures, decodeBatch, type BatchResponse, type DecodeOptions, type KinesisEventLike, type PositionedTick } from "../kinesis/batch.js";
import type { RecordPosition } from "../tick.js";
import { DynamoWindowStore, type WindowTables } from "./dynamo-store.js";
import { kinesisWindowSink } from "./emitter.js";
import { WindowEngine, type EngineLogger, type LateTickSample } from "./engine.js";
import { cachedShardLister, kinesisShardLister } from "./shard-lister.js";

/**
 * One Kinesis batch of the windows consumer: decode -> engine -> partial batch response.
 *
 * Failure reporting (Kinesis checkpoint semantics, see kinesis/batch.ts): the records of the
 * pane groups that could not be merged are reported; Lambda resumes at the lowest of them and
 * everything after it comes again (merges are idempotent). When the batch could not be placed
 * at all, or its shard's progress not recorded, every record is reported. Bad records are
 * counted and logged here; the latest consumer, which reads the same records, writes them to
 * the dead letters.
 */
export interface WindowsBatchOutcome {
  response: BatchResponse;
  records: number;
  ticks: number;
  badRecords: number;
  late: number;
  lateSamples: (LateTickSample & { shardId: string })[];
  writesIssued: number;
  windowsFinalized: number;
  windowsEmitted: number;
  /** Effective watermark after the batch, per shard processed. */
  watermark: number;
  /** Errors met (failed records, or closing left to the next run). */
  errors: unknown[];
}

export async function processWindowsEvent(event: KinesisEventLike, engine: WindowEngine, options: DecodeOptions = {}): Promise<WindowsBatchOutcome> {
  const decoded = decodeBatch(event, options);
  const outcome: WindowsBatchOutcome = {
    response: { batchItemFailures: [] },
    records: event.Records.length,
    ticks: decoded.ticks.length,
    badRecords: decoded.bad.length,
    late: 0,
    lateSamples: [],
    writesIssued: 0,
    windowsFinalized: 0,
    windowsEmitted: 0,
    watermark: Number.NaN,
    errors: [],
  };
  // One event holds one shard's records (parallelization factor 1); group anyway, in order.
  const byShard = new Map<string, { ticks: PositionedTick[]; all: RecordPosition[] }>();
  const group = (shardId: string) => {
    let g = byShard.get(shardId);
    if (!g) byShard.set(shardId, (g = { ticks: [], all: [] }));
    return g;
  };
  for (const t of decoded.ticks) {
    const g = group(t.position.shardId);
    g.ticks.push(t);
    g.all.push(t.position);
  }
  for (const b of decoded.bad) group(b.position.shardId).all.push(b.position);

  const failed: RecordPosition[] = [];
  for (const [shardId, g] of byShard) {
    const result = await engine.processBatch(shardId, g.ticks);
    outcome.late += result.late;
    for (const s of result.lateSamples) if (outcome.lateSamples.length < 5) outcome.lateSamples.push({ ...s, shardId });
    outcome.writesIssued += result.writesIssued;
    outcome.windowsFinalized += result.windowsFinalized;
    outcome.windowsEmitted += result.windowsEmitted;
    outcome.watermark = result.watermark;
    if (result.error !== undefined) outcome.errors.push(result.error);
    if (result.retryWholeBatch) failed.push(...g.all);
    else for (const i of result.failed) failed.push(g.ticks[i]!.position);
  }
  outcome.response = batchItemFailures(failed);
  return outcome;
}

/**
 * The engine on DynamoDB and the `windows` Kinesis stream, as both handlers build it. The open
 * shards of `pricesStream` are listed (ListShards) at most once a minute per container.
 */
export function createWindowEngine(options: {
  doc: DynamoDBDocumentClient;
  kinesis: KinesisClient;
  tables: WindowTables;
  windowsStream: string;
  pricesStream: string;
  config: WindowConfig;
  logger?: EngineLogger;
  clock?: () => number;
}): WindowEngine {
  const store = new DynamoWindowStore({ doc: options.doc, tables: options.tables, retentionHours: options.config.paneRetentionHours, clock: options.clock });
  return new WindowEngine({
    store,
    sink: kinesisWindowSink(options.kinesis, options.windowsStream),
    config: options.config,
    logger: options.logger,
    clock: options.clock,
    shardLister: cachedShardLister(kinesisShardLister(options.kinesis, options.pricesStream), 60_000),
  });
}
