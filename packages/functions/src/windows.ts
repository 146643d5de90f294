import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { readMaxClockSkewMs } from "@tickstream/core/config";
import { processWindowsEvent } from "@tickstream/core/windows/consumer";
import { boundWindowEngine } from "./window-engine.js";

/**
 * Windows consumer (Kinesis `prices`): decode (records may hold many ticks; event times bounded
 * by TICKSTREAM_MAX_CLOCK_SKEW_MS) -> place ticks into panes against the watermark
 * -> advance the watermark -> finalize and emit closed windows to the `windows` stream ->
 * partial batch response. The rules live in packages/core/src/windows/.
 */

const logger = new Logger({ serviceName: "windows" });
const metrics = new Metrics({ namespace: "Tickstream", serviceName: "windows" });

/** This function's SDK clients; exported so that tests can add middleware (e.g. injected faults). */
const bound = boundWindowEngine(logger);
export const clients = bound.clients;
const engine = bound.engine;
const maxClockSkewMs = readMaxClockSkewMs();

export async function handler(event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> {
  if (context) logger.addContext(context);
  try {
    const outcome = await processWindowsEvent(event, engine, { maxClockSkewMs });
    metrics.addMetric("TicksProcessed", MetricUnit.Count, outcome.ticks);
    metrics.addMetric("LateTicks", MetricUnit.Count, outcome.late);
    metrics.addMetric("BadRecords", MetricUnit.Count, outcome.badRecords);
    metrics.addMetric("WritesIssued", MetricUnit.Count, outcome.writesIssued);
    metrics.addMetric("WindowsEmitted", MetricUnit.Count, outcome.windowsEmitted);
    if (outcome.late > 0) logger.warn("late ticks", { count: outcome.late, watermark: outcome.watermark, samples: outcome.lateSamples });
    if (outcome.badRecords > 0) logger.warn("bad records", { count: outcome.badRecords });
    for (const error of outcome.errors) logger.error("windows batch error", { error: error as Error });
    logger.debug("batch done", {
      records: outcome.records,
      watermark: outcome.watermark,
      windowsFinalized: outcome.windowsFinalized,
      windowsEmitted: outcome.windowsEmitted,
      batchItemFailures: outcome.response.batchItemFailures.length,
    });
    return outcome.response;
  } finally {
    metrics.publishStoredMetrics();
  }
}
