import { Cron, KinesisStream, use, type StackContext } from "sst/constructs";
import { Duration } from "aws-cdk-lib";
import * as kinesis from "aws-cdk-lib/aws-kinesis";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import * as sqs from "aws-cdk-lib/aws-sqs";
import {
  CONSUMERS,
  STREAMS,
  WINDOWS_TIMER,
  type ConsumerSpec,
} from "@tickstream/core/resources";
import { ARCHIVE_PREFIXES } from "@tickstream/core/archive/keys";
import { listShardsOf, putToStream, readWriteTable, writeUnderPrefix } from "./access";
import { describedFunction } from "./functions";
import { StorageStack } from "./StorageStack";
import { removalPolicyOf, stageConfig, windowEnvironment, type StageConfig } from "./stage-config";

function streamProps(
  cfg: StageConfig,
  shards: "pricesShards" | "windowsShards",
): kinesis.StreamProps {
  const s = cfg.streams;
  return {
    encryption: kinesis.StreamEncryption.MANAGED,
    retentionPeriod: Duration.hours(s.retentionHours),
    removalPolicy: removalPolicyOf(cfg),
    ...(s.mode === "on-demand"
      ? { streamMode: kinesis.StreamMode.ON_DEMAND }
      : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: s[shards] }),
  };
}

function eventSource(spec: ConsumerSpec, onFailure: sqs.IQueue) {
  return {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: spec.batchSize,
    maxBatchingWindow: Duration.seconds(spec.maxBatchingWindowSeconds),
    bisectBatchOnError: spec.bisectBatchOnError,
    retryAttempts: spec.retryAttempts,
    maxRecordAge: Duration.seconds(spec.maxRecordAgeSeconds),
    reportBatchItemFailures: spec.reportBatchItemFailures,
    parallelizationFactor: spec.parallelizationFactor,
    onFailure: new SqsDlq(onFailure),
  };
}

/**
 * The `prices` and `windows` streams, the two consumers of `prices`, the on-failure queue of
 * their event source mappings, and the timer that closes windows while no batch arrives.
 */
export function StreamStack({ stack, app }: StackContext) {
  const cfg = stageConfig(app.stage);
  const { tables, archive } = use(StorageStack);
  const windowEnv = windowEnvironment(cfg);

  const windowsStream = new KinesisStream(stack, STREAMS.windows.id, {
    cdk: { stream: streamProps(cfg, "windowsShards") },
  });

  // Batches still failing after retries and bisection land here (as metadata: shard,
  // sequence numbers, error), to be replayed from the stream or the archive.
  const failedBatches = new sqs.Queue(stack, "FailedBatches", {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: removalPolicyOf(cfg),
  });

  const deadLetters = writeUnderPrefix(archive, ARCHIVE_PREFIXES.deadLetters);
  const prices = new KinesisStream(stack, STREAMS.prices.id, {
    cdk: { stream: streamProps(cfg, "pricesShards") },
    consumers: {
      [CONSUMERS.latest.id]: {
        function: {
          ...describedFunction(CONSUMERS.latest),
          description: "Keeps the newest tick per instrument",
          environment: { ...windowEnv, POWERTOOLS_SERVICE_NAME: "latest" },
          bind: [readWriteTable(tables.latest), deadLetters],
        },
        cdk: { eventSource: eventSource(CONSUMERS.latest, failedBatches) },
      },
      [CONSUMERS.windows.id]: {
        function: {
          ...describedFunction(CONSUMERS.windows),
          description: "Sliding-window maxima in event time",
          environment: { ...windowEnv, POWERTOOLS_SERVICE_NAME: "windows" },
          bind: [
            readWriteTable(tables.panes),
            readWriteTable(tables.windows),
            readWriteTable(tables.state),
            putToStream(windowsStream),
            deadLetters,
          ],
        },
        cdk: { eventSource: eventSource(CONSUMERS.windows, failedBatches) },
      },
    },
  });

  const timer = new Cron(stack, WINDOWS_TIMER.id, {
    schedule: WINDOWS_TIMER.scheduleExpression as `rate(${string})`,
    job: {
      function: {
        ...describedFunction(WINDOWS_TIMER),
        description: "Closes windows while every shard is idle",
        environment: { ...windowEnv, POWERTOOLS_SERVICE_NAME: "windows-timer" },
        bind: [
          readWriteTable(tables.panes),
          readWriteTable(tables.windows),
          readWriteTable(tables.state),
          // It also folds the latest log into its snapshot.
          readWriteTable(tables.latest),
          putToStream(windowsStream),
          listShardsOf(prices),
        ],
      },
    },
  });

  const consumers = {
    latest: prices.getFunction(CONSUMERS.latest.id)!,
    windows: prices.getFunction(CONSUMERS.windows.id)!,
  };
  // The windows consumer lists the shards of the stream it reads (it cannot bind it while the
  // stream is being built).
  consumers.windows.bind([listShardsOf(prices)]);

  stack.addOutputs({
    PricesStream: prices.streamName,
    WindowsStream: windowsStream.streamName,
    FailedBatchesQueue: failedBatches.queueUrl,
  });

  return { prices, windowsStream, failedBatches, consumers, timer };
}
