import { PUBLIC_ROUTE_KEYS, ROUTE_KEYS, type RouteKey } from "./api/routes.js";

/**
 * The one description of Tickstream's resources. The SST stacks and the local runtime both
 * read it, so that what runs on a laptop and what is deployed cannot drift apart.
 *
 * `id` is the SST construct id; with `construct` it decides the bound environment variable a
 * handler reads through `sst/node` (see `bindingEnv`).
 */

/** The property SST v2 binds for each kind of construct a function can bind. */
const BOUND_PROPERTY = {
  Table: "tableName",
  KinesisStream: "streamName",
  Bucket: "bucketName",
} as const;

/** A resource a function binds: an SST construct of a kind, by construct id. */
export interface Binding {
  construct: keyof typeof BOUND_PROPERTY;
  id: string;
}

/**
 * The environment variable through which `sst/node` hands a bound resource to a handler:
 * SST_<construct>_<property>_<id>, e.g. Table "Latest" -> SST_Table_tableName_Latest.
 */
export function bindingEnv(binding: Binding): string {
  return `SST_${binding.construct}_${BOUND_PROPERTY[binding.construct]}_${binding.id}`;
}

export type KeyType = "string" | "number";

export interface TableSpec extends Binding {
  construct: "Table";
  id: string;
  /** Name used by the local runtime (dynalite wants 3+ characters). */
  localName: string;
  partitionKey: { name: string; type: KeyType };
  sortKey: { name: string; type: KeyType };
  /** TTL attribute (epoch seconds), if the table expires items. */
  ttl?: string;
}

/**
 * A table of packed items, as every table here is: string partition key `pk`, sort key `sk`,
 * items expiring at `expiresAt`; its local name is its id in lower case after "tickstream-".
 */
function packedTable<const Id extends string>(id: Id, sortKeyType: KeyType) {
  return {
    construct: "Table",
    id,
    localName: `tickstream-${id.toLowerCase()}`,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: sortKeyType },
    ttl: "expiresAt",
  } as const satisfies TableSpec;
}

export const TABLES = {
  /**
   * Latest tick per instrument, as a log of packed batch entries and a snapshot of packed
   * buckets (latest/log-store.ts): pk "log" | "snap" | "meta". Log entries expire.
   */
  latest: packedTable("Latest", "string"),
  /**
   * Per-pane candles, packed: pk = instrument bucket, sk = "<paneStart>#<shardId>"; one item
   * holds one shard's ticks of one pane for every instrument of the bucket.
   */
  panes: packedTable("Panes", "string"),
  /** Closed windows exactly as emitted, packed: pk = instrument bucket, sk = windowStart (epoch ms). */
  windows: packedTable("Windows", "number"),
  /** Consumer bookkeeping: the watermark, shard progress and placement reservations, emit claims. */
  state: packedTable("State", "string"),
} as const satisfies Record<string, TableSpec>;

/** Write-sharded partitions of the latest table, so one hot partition key does not cap writes. */
export const LATEST_PARTITIONS = 4;

/** Snapshot buckets of the Latest table (latest/log-store.ts): each holds 1/16 of the instruments. */
export const LATEST_SNAPSHOT_BUCKETS = 16;

/**
 * How often the Latest log is folded into the snapshot: after a latest batch when this long has
 * passed since the last fold (a lease picks one invocation), and by the windows timer.
 */
export const LATEST_COMPACTION = { everyMs: 10_000 } as const;

/**
 * Instrument buckets of the windows consumer's packed items (windows/buckets.ts): a pane item
 * holds one bucket's instruments. 32 keeps a full pane item of one shard near 1 KB at about
 * 1,000 to 2,000 instruments (docs/dynamodb.md has the measurements). Fixed per deployment.
 */
export const WINDOW_BUCKETS = 32;

export interface StreamSpec extends Binding {
  construct: "KinesisStream";
  id: string;
  localName: string;
  /** Shards the local runtime creates (AWS uses on-demand or the stage's shard count). */
  localShards: number;
}

export const STREAMS = {
  prices: {
    construct: "KinesisStream",
    id: "Prices",
    localName: "tickstream-prices",
    localShards: 2,
  },
  windows: {
    construct: "KinesisStream",
    id: "Windows",
    localName: "tickstream-windows",
    localShards: 1,
  },
} as const satisfies Record<string, StreamSpec>;

export interface BucketSpec extends Binding {
  construct: "Bucket";
  id: string;
  localName: string;
}

export const BUCKETS = {
  archive: { construct: "Bucket", id: "Archive", localName: "tickstream-archive" },
} as const satisfies Record<string, BucketSpec>;

/** Firehose buffering; the local archive delivery buffers the same way. */
export const ARCHIVE_BUFFERING = { sizeMiB: 5, intervalSeconds: 60 } as const;

/** What a function gets unless it sets its own (the app's default function props, sst.config.ts). */
export const FUNCTION_DEFAULTS = { timeoutSeconds: 30, memorySizeMiB: 512 } as const;

/** A function as both the stacks and the local runtime run it. */
export interface FunctionSpec {
  /** Resource id: names the function's construct (or its consumer or job) and its local stand-in. */
  id: string;
  /** Handler path as SST's Function `handler` takes it, relative to the repository root. */
  handler: string;
  timeoutSeconds: number;
  memorySizeMiB: number;
  /** What the function binds: each gives it one `SST_*` variable (`bindingEnv`). */
  bindings: readonly Binding[];
}

/** A consumer of `prices`, with its event source mapping settings (AWS and the local poller). */
export interface ConsumerSpec extends FunctionSpec {
  batchSize: number;
  maxBatchingWindowSeconds: number;
  bisectBatchOnError: boolean;
  retryAttempts: number;
  maxRecordAgeSeconds: number;
  parallelizationFactor: number;
  reportBatchItemFailures: true;
}

/** The window engine's bindings, shared by the windows consumer and the windows timer. */
const WINDOW_ENGINE_BINDINGS = [
  TABLES.panes,
  TABLES.windows,
  TABLES.state,
  STREAMS.windows,
  // The shards of `prices` are listed to hold the watermark until each one is idle.
  STREAMS.prices,
] as const;

export const CONSUMERS = {
  latest: {
    id: "LatestConsumer",
    handler: "packages/functions/src/latest.handler",
    timeoutSeconds: 60,
    memorySizeMiB: 1024,
    bindings: [TABLES.latest, BUCKETS.archive],
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
    timeoutSeconds: 60,
    memorySizeMiB: 1024,
    bindings: [...WINDOW_ENGINE_BINDINGS, BUCKETS.archive],
    // Its output is 10 s grained: ten seconds of a shard per invocation write each pane item
    // about 1.5 times instead of ten (docs/dynamodb.md). Lambda's 6 MB payload limit caps a
    // batch below 10,000 records of the template's size.
    batchSize: 10_000,
    maxBatchingWindowSeconds: 10,
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
  // Under the one-minute period, so that one run ends before the next begins.
  timeoutSeconds: 55,
  memorySizeMiB: FUNCTION_DEFAULTS.memorySizeMiB,
  // Latest: the timer also folds the latest log into its snapshot (latest/log-store.ts).
  bindings: [...WINDOW_ENGINE_BINDINGS, TABLES.latest],
  scheduleExpression: "rate(1 minute)",
  localIntervalMs: 1000,
} as const satisfies FunctionSpec & { scheduleExpression: string; localIntervalMs: number };

/** The HTTP API (routes in api/routes.ts), all served by one read-only function. */
export const API = {
  id: "Api",
  handler: "packages/functions/src/api.handler",
  // An HTTP API answers within seconds or not at all; API Gateway gives up at 30 s anyway.
  timeoutSeconds: 10,
  memorySizeMiB: 512,
  bindings: [TABLES.latest, TABLES.panes, TABLES.windows, TABLES.state],
  /** Route keys as API Gateway v2 spells them. Only GET /health is open. */
  routes: ROUTE_KEYS,
  publicRoutes: PUBLIC_ROUTE_KEYS,
} as const satisfies FunctionSpec & {
  routes: readonly RouteKey[];
  publicRoutes: readonly RouteKey[];
};

/** Every function, by the key the local runtime knows it by. */
export const FUNCTIONS = {
  latest: CONSUMERS.latest,
  windows: CONSUMERS.windows,
  windowsTimer: WINDOWS_TIMER,
  api: API,
} as const satisfies Record<string, FunctionSpec>;

export type FunctionKey = keyof typeof FUNCTIONS;

export type { RouteKey } from "./api/routes.js";
