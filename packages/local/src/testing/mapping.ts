import { join } from "node:path";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { CONSUMERS } from "@tickstream/core/resources";
import type { LambdaHandler } from "../lambda.js";
import { CheckpointStore } from "../poller/checkpoint.js";
import type { OnFailureRecord } from "../poller/events.js";
import type { ShardReadCache } from "../poller/read-cache.js";
import { EventSourceMapping, settingsFromSpec, type MappingSettings } from "../poller/mapping.js";
import { silentLog } from "../timing.js";

/**
 * A mapping for the poller's tests: the latest consumer's settings with quick polls and retries
 * unless the test says otherwise, function `tickstream-local-<id>`, checkpoints under `dir`.
 */
export function testMapping(options: {
  kinesis: KinesisClient;
  stream: string;
  dir: string;
  id: string;
  handler: LambdaHandler;
  timeoutMs?: number;
  settings: Partial<MappingSettings>;
  onFailure: (doc: OnFailureRecord) => Promise<void>;
  cache?: ShardReadCache;
}): EventSourceMapping {
  const { kinesis, stream, dir, id, handler } = options;
  return new EventSourceMapping({
    kinesis,
    region: "us-east-1",
    streamName: stream,
    fn: {
      id,
      functionName: `tickstream-local-${id}`,
      timeoutMs: options.timeoutMs ?? 10_000,
      handler,
    },
    settings: settingsFromSpec(CONSUMERS.latest, {
      idlePollMs: 20,
      retryDelayMs: () => 5,
      ...options.settings,
    }),
    checkpoints: new CheckpointStore(join(dir, "checkpoints"), id, stream),
    onFailure: options.onFailure,
    log: silentLog,
    cache: options.cache,
  });
}
