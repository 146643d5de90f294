import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { Table } from "sst/node/table";
import { createLogLatestStore } from "@tickstream/core/latest/log-store";
import { boundWindowEngine } from "./window-engine.js";

/**
 * Windows timer (schedule: every minute in AWS, every second locally): advances the watermark
 * by wall clock when shards go idle, finalizes and emits the windows that are due, and finishes
 * any close or emit another invocation left half done. The rules live in
 * packages/core/src/windows/closer.ts. It also folds the Latest log into its snapshot when the
 * latest consumer has not done so lately (packages/core/src/latest/log-store.ts), so that the
 * log is folded even when no batch arrives.
 */

const logger = new Logger({ serviceName: "windows-timer" });
const metrics = new Metrics({ namespace: "Tickstream", serviceName: "windows-timer" });

/** This function's SDK clients; exported so that tests can add middleware (e.g. injected faults). */
const bound = boundWindowEngine(logger);
export const clients = bound.clients;
const engine = bound.engine;
const latest = createLogLatestStore({ doc: bound.clients.doc, tableName: Table.Latest.tableName });

export async function handler(_event?: unknown, context?: Context): Promise<{ watermark: number | null; windowsEmitted: number }> {
  if (context) logger.addContext(context);
  try {
    const [outcome] = await Promise.all([
      engine.closeDue(),
      latest.compactIfDue().catch((error: unknown) => logger.error("folding the latest log failed", { error: error as Error })),
    ]);
    metrics.addMetric("WindowsEmitted", MetricUnit.Count, outcome.windowsEmitted);
    metrics.addMetric("WritesIssued", MetricUnit.Count, outcome.writesIssued);
    logger.debug("timer done", { ...outcome });
    const watermark = outcome.watermark === Number.MIN_SAFE_INTEGER ? null : outcome.watermark;
    return { watermark, windowsEmitted: outcome.windowsEmitted };
  } finally {
    metrics.publishStoredMetrics();
  }
}
