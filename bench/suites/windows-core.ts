import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, KinesisStreamEvent } from "aws-lambda";

type Handler = (event: unknown, context?: Context) => Promise<unknown>;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** True when the windows handler modules are in the tree. */
export function windowsModulesPresent(): boolean {
  return existsSync(join(ROOT, "packages/functions/src/windows.ts")) && existsSync(join(ROOT, "packages/functions/src/windows-timer.ts"));
}

/**
 * The windows consumer through its core entry point (WindowEngine over the DynamoDB store and
 * the Kinesis sink), wired as the handler module would wire it; used only when the module is
 * not present.
 */
export async function windowsFromCore(): Promise<{ batch: Handler; timer: Handler }> {
  const { decodeBatch, recordPosition } = await import("@tickstream/core/kinesis/batch");
  const { WindowEngine } = await import("@tickstream/core/windows/engine");
  const { DynamoWindowStore } = await import("@tickstream/core/windows/dynamo-store");
  const { kinesisWindowSink } = await import("@tickstream/core/windows/emitter");
  const { documentClient, kinesisClient } = await import("@tickstream/core/aws");
  const { readWindowConfig } = await import("@tickstream/core/config");
  const config = readWindowConfig();
  const env = process.env;
  const engine = new WindowEngine({
    store: new DynamoWindowStore({
      doc: documentClient(),
      tables: { panes: env.SST_Table_tableName_Panes!, windows: env.SST_Table_tableName_Windows!, state: env.SST_Table_tableName_State! },
      retentionHours: config.paneRetentionHours,
    }),
    sink: kinesisWindowSink(kinesisClient(), env.SST_KinesisStream_streamName_Windows!),
    config,
  });
  return {
    batch: async (event) => {
      const records = (event as KinesisStreamEvent).Records;
      const { ticks } = decodeBatch(records);
      const shardId = records[0] ? recordPosition(records[0]).shardId : "shardId-unknown";
      const out = await engine.processBatch(shardId, ticks.map((t) => t.tick));
      return { batchItemFailures: out.failed.map((i) => ({ itemIdentifier: ticks[i]!.position.sequenceNumber })) };
    },
    timer: async () => engine.closeDue(),
  };
}

/** The same, built on first use (the runtime sets the environment before it calls a handler). */
export function lazyWindowsFromCore(): { batch: Handler; timer: Handler } {
  let built: Promise<{ batch: Handler; timer: Handler }> | undefined;
  const get = () => (built ??= windowsFromCore());
  return { batch: async (e, c) => (await get()).batch(e, c), timer: async (e, c) => (await get()).timer(e, c) };
}
