/**
 * The one description of Tickstream's resources. The SST stacks and the local runtime both
 * read it, so that what runs on a laptop and what is deployed cannot drift apart.
 *
 * `id` is the SST construct id; it decides the bound environment variable a handler reads
 * through `sst/node` (e.g. Table "Latest" -> SST_Table_tableName_Latest).
 */

export type KeyType = "string" | "number";

export interface TableSpec {
  id: string;
  /** Name used by the local runtime (dynalite wants 3+ characters). */
  localName: string;
  partitionKey: { name: string; type: KeyType };
  sortKey: { name: string; type: KeyType };
  /** TTL attribute (epoch seconds), if the table expires items. */
  ttl?: string;
}

export const TABLES = {
  /** Latest tick per instrument. pk = "latest#<0..LATEST_PARTITIONS-1>", sk = instrument. */
  latest: {
    id: "Latest",
    localName: "tickstream-latest",
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
  },
  /** Per-pane maxima. pk = instrument, sk = paneStart (epoch ms). */
  panes: {
    id: "Panes",
    localName: "tickstream-panes",
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "number" },
    ttl: "expiresAt",
  },
  /** Emitted (closed) windows exactly as emitted. pk = instrument, sk = windowStart (epoch ms). */
  windows: {
    id: "Windows",
    localName: "tickstream-windows",
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "number" },
    ttl: "expiresAt",
  },
  /** Consumer bookkeeping: shard watermarks, the index of windows still to close, emit claims. */
  state: {
    id: "State",
    localName: "tickstream-state",
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
    ttl: "expiresAt",
  },
} as const satisfies Record<string, TableSpec>;

/** Write-sharded partitions of the latest table, so one hot partition key does not cap writes. */
export const LATEST_PARTITIONS = 4;

export interface StreamSpec {
  id: string;
  localName: string;
  /** Shards the local runtime creates (AWS uses on-demand or the stage's shard count). */
  localShards: number;
}

export const STREAMS = {
  prices: { id: "Prices", localName: "tickstream-prices", localShards: 2 },
  windows: { id: "Windows", localName: "tickstream-windows", localShards: 1 },
} as const satisfies Record<string, StreamSpec>;

export const BUCKETS = {
  archive: { id: "Archive", localName: "tickstream-archive" },
} as const;

/** Firehose buffering; the local archive delivery buffers the same way. */
export const ARCHIVE_BUFFERING = { sizeMiB: 5, intervalSeconds: 60 } as const;

/** Event source mapping settings shared by AWS (stacks) and the local poller. */
export interface ConsumerSpec {
  id: string;
  /** Handler path as SST's Function `handler` takes it, relative to the repository root. */
  handler: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  bisectBatchOnError: boolean;
  retryAttempts: number;
  maxRecordAgeSeconds: number;
  parallelizationFactor: number;
  reportBatchItemFailures: true;
}

export const CONSUMERS = {
  latest: {
    id: "LatestConsumer",
    handler: "packages/functions/src/latest.handler",
    batchSize: 500,
    maxBatchingWindowSeconds: 1,
    bisectBatchOnError: true,
    retryAttempts: 5,
    maxRecordAgeSeconds: 86_400,
    parallelizationFactor: 1,
    reportBatchItemFailures: true,
  },
  windows: {
    id: "WindowsConsumer",
    handler: "packages/functions/src/windows.handler",
    batchSize: 500,
    maxBatchingWindowSeconds: 1,
    bisectBatchOnError: true,
    retryAttempts: 5,
    maxRecordAgeSeconds: 86_400,
    // Watermarks are per shard: one invocation at a time per shard keeps them monotonic.
    parallelizationFactor: 1,
    reportBatchItemFailures: true,
  },
} as const satisfies Record<string, ConsumerSpec>;

/**
 * Closes windows when no batch arrives (every shard idle). Scheduled every minute in AWS;
 * the local runtime calls it every second.
 */
export const WINDOWS_TIMER = {
  id: "WindowsTimer",
  handler: "packages/functions/src/windows-timer.handler",
  scheduleExpression: "rate(1 minute)",
  localIntervalMs: 1000,
} as const;

export const API = {
  id: "Api",
  handler: "packages/functions/src/api.handler",
  /** Route keys as API Gateway v2 spells them. Only GET /health is open. */
  routes: [
    "GET /health",
    "GET /instruments",
    "GET /data",
    "GET /instruments/{id}/windows",
    "GET /instruments/{id}/series",
  ],
  publicRoutes: ["GET /health"],
} as const;

export type RouteKey = (typeof API.routes)[number];
