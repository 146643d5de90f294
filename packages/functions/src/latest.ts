import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { Bucket } from "sst/node/bucket";
import { Table } from "sst/node/table";
import { documentClient, s3Client } from "@tickstream/core/aws";
import { readMaxClockSkewMs } from "@tickstream/core/config";
import { s3DeadLetterWriter } from "@tickstream/core/deadletters/deadletters";
import { processLatestBatch } from "@tickstream/core/latest/consumer";
import { createLogLatestStore } from "@tickstream/core/latest/log-store";

/**
 * Latest consumer (Kinesis `prices`): decode (records may hold many ticks; event times bounded by
 * TICKSTREAM_MAX_CLOCK_SKEW_MS) -> one tick per instrument -> one conditional
 * write per instrument -> dead letters -> partial batch response. The rules live in
 * packages/core/src/latest/consumer.ts.
 */

const logger = new Logger({ serviceName: "latest" });
const metrics = new Metrics({ namespace: "Tickstream", serviceName: "latest" });

/** This function's SDK clients; exported so that tests can add middleware (e.g. injected faults). */
export const clients = { doc: documentClient(), s3: s3Client() };

const store = createLogLatestStore({ doc: clients.doc, tableName: Table.Latest.tableName });
const deadLetters = s3DeadLetterWriter(clients.s3, Bucket.Archive.bucketName, "latest");
const maxClockSkewMs = readMaxClockSkewMs();

export async function handler(event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> {
  if (context) logger.addContext(context);
  try {
    const outcome = await processLatestBatch(event, { store, deadLetters, maxClockSkewMs });
    metrics.addMetric("TicksProcessed", MetricUnit.Count, outcome.ticks);
    metrics.addMetric("BadRecords", MetricUnit.Count, outcome.badRecords);
    metrics.addMetric("WritesIssued", MetricUnit.Count, outcome.writesIssued);
    metrics.addMetric("WritesFailed", MetricUnit.Count, outcome.failedWrites.length);
    if (outcome.badRecords > 0) {
      logger.warn("bad records", {
        count: outcome.badRecords,
        deadLettersWritten: outcome.deadLettersWritten,
        deadLettersDeferred: outcome.deadLettersDeferred,
      });
    }
    for (const failure of outcome.failedWrites) {
      logger.error("latest write failed", {
        instrument: failure.instrument,
        shardId: failure.position.shardId,
        sequenceNumber: failure.position.sequenceNumber,
        error: failure.error as Error,
      });
    }
    for (const error of outcome.deadLetterErrors) logger.error("dead letters not written", { error: error as Error });
    logger.debug("batch done", {
      records: outcome.records,
      instruments: outcome.instruments,
      written: outcome.written,
      stale: outcome.stale,
      batchItemFailures: outcome.response.batchItemFailures.length,
    });
    return outcome.response;
  } finally {
    metrics.publishStoredMetrics();
  }
}
