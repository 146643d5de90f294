import type { Logger } from "@aws-lambda-powertools/logger";
import { KinesisStream } from "sst/node/kinesis-stream";
import { Table } from "sst/node/table";
import { documentClient, kinesisClient } from "@tickstream/core/aws";
import { readWindowConfig } from "@tickstream/core/config";
import { createWindowEngine } from "@tickstream/core/windows/consumer";

/**
 * The window engine of one function (the windows consumer or the windows timer), on the
 * resources bound to it. Each function gets SDK clients of its own, returned so that tests can
 * add middleware (e.g. injected faults) to one function without touching the other.
 */
export function boundWindowEngine(logger: Logger) {
  const clients = { doc: documentClient(), kinesis: kinesisClient() };
  const engine = createWindowEngine({
    doc: clients.doc,
    kinesis: clients.kinesis,
    tables: {
      panes: Table.Panes.tableName,
      windows: Table.Windows.tableName,
      state: Table.State.tableName,
    },
    windowsStream: KinesisStream.Windows.streamName,
    pricesStream: KinesisStream.Prices.streamName,
    config: readWindowConfig(),
    logger,
  });
  return { clients, engine };
}
