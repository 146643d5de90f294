/**
 * AWS list prices used by the cost model: region us-east-1 (N. Virginia), on-demand public
 * prices in USD, as published on the services' pricing pages (checked 2025-06; DynamoDB
 * on-demand after its November 2024 reduction). No free tier, no savings plans, no reserved
 * capacity. Change a figure here and `npm run bench -- --only cost` recomputes every table.
 *
 * Documented on the pricing pages, and used as documented: Kinesis on-demand data in billed per
 * record rounded up to 1 KB; provisioned PUT payload units of 25 KB per record; Firehose
 * ingestion billed per record rounded up to 5 KB ("at the record level, not the API operation
 * level"). Not documented: which record Firehose rounds when it reads a Kinesis stream whose
 * records are KPL aggregates that it de-aggregates (the Kinesis record, or each user record it
 * delivers); the cost model prices both (`FirehoseRounding` in cost.ts). Assumed alike for data
 * out: the 1 KB rounding of on-demand retrievals, read per record like data in.
 */
export const PRICES = {
  region: "us-east-1",
  checked: "2025-06",
  currency: "USD",
  hoursPerMonth: 720, // 30 days, the model's month

  kinesis: {
    /** Provisioned mode. */
    shardHour: 0.015,
    /** Per million PUT payload units (one unit = up to 25 KB of a record). */
    putPayloadUnitsPerMillion: 0.014,
    putPayloadUnitBytes: 25 * 1024,
    /** Extended retention (over 24 h, up to 7 days), per shard-hour. */
    extendedRetentionShardHour: 0.02,
    /** On-demand mode. */
    onDemandStreamHour: 0.04,
    /** Per GB written; each record rounded up to 1 KB. */
    onDemandIngestPerGB: 0.08,
    /** Per GB read by shared-throughput consumers (each consumer pays); records rounded up to 1 KB. */
    onDemandRetrievalPerGB: 0.04,
    onDemandRecordRoundingBytes: 1024,
    /** Provisioned shard limits. */
    shardWriteRecordsPerSecond: 1000,
    shardWriteBytesPerSecond: 1024 * 1024,
  },

  lambda: {
    requestsPerMillion: 0.2,
    /** Per GB-second of duration. */
    gbSecondArm64: 0.0000133334,
    gbSecondX86: 0.0000166667,
  },

  dynamodb: {
    /** On-demand: per million write request units (1 per started KB written; 2 in transactions). */
    writeRequestUnitsPerMillion: 0.625,
    /** On-demand: per million read request units (1 per started 4 KB strongly consistent, 0.5 eventually). */
    readRequestUnitsPerMillion: 0.125,
    storageGBMonth: 0.25,
  },

  firehose: {
    /**
     * Ingestion per GB (first 500 TB/month), each record rounded up to 5 KB. With a Kinesis
     * source of KPL aggregates, whether "record" is the Kinesis record or each de-aggregated
     * user record is not documented.
     */
    ingestPerGB: 0.029,
    recordRoundingBytes: 5 * 1024,
  },

  s3: {
    /** S3 Standard: PUT, COPY, POST, LIST per 1,000 requests. */
    putPer1000: 0.005,
    /** S3 Standard storage, first 50 TB, per GB-month. */
    storageGBMonth: 0.023,
  },
} as const;

export type Prices = typeof PRICES;

/** GB as AWS bills it (2^30 bytes). */
export const GB = 1024 ** 3;
