import { randomUUID } from "node:crypto";
import type { _Record } from "@aws-sdk/client-kinesis";
import type { KinesisStreamRecord } from "aws-lambda";
import { LOCAL_ACCOUNT } from "../lambda.js";

/** Where a batch comes from: enough to shape records and failure reports as Lambda does. */
export interface StreamSource {
  region: string;
  streamName: string;
  shardId: string;
  /** Role ARN Lambda would report as invokeIdentityArn. */
  invokeIdentityArn: string;
}

export function streamArn(region: string, streamName: string): string {
  return `arn:aws:kinesis:${region}:${LOCAL_ACCOUNT}:stream/${streamName}`;
}

/**
 * Data in base64 by the bytes it encodes: both consumers get the same records (from the read
 * cache), so each record is encoded once.
 */
const base64s = new WeakMap<Uint8Array, string>();

export function base64Of(data: Uint8Array | undefined): string {
  if (!data) return "";
  let text = base64s.get(data);
  if (text === undefined) {
    text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
    base64s.set(data, text);
  }
  return text;
}

/** One Kinesis record as Lambda hands it to a function (data base64, arrival time in seconds). */
export function toLambdaRecord(record: _Record, source: StreamSource): KinesisStreamRecord {
  const arrivalMs = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: record.PartitionKey ?? "",
      sequenceNumber: record.SequenceNumber ?? "",
      data: base64Of(record.Data),
      approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `${source.shardId}:${record.SequenceNumber}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: streamArn(source.region, source.streamName),
  };
}

export type FailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

/**
 * The document Lambda sends to an event source mapping's on-failure destination for Kinesis:
 * the batch's position in the shard, not its data (the data stays in the stream).
 */
export interface OnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: "1.0";
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export function onFailureRecord(
  records: KinesisStreamRecord[],
  info: {
    functionArn: string;
    condition: FailureCondition;
    invokeCount: number;
    functionError?: string;
    shardId: string;
  },
): OnFailureRecord {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  const iso = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString();
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: info.functionArn,
      condition: info.condition,
      approximateInvokeCount: info.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: "$LATEST",
      ...(info.functionError ? { functionError: info.functionError } : {}),
    },
    version: "1.0",
    timestamp: new Date().toISOString(),
    KinesisBatchInfo: {
      shardId: info.shardId,
      startSequenceNumber: first.kinesis.sequenceNumber,
      endSequenceNumber: last.kinesis.sequenceNumber,
      approximateArrivalOfFirstRecord: iso(first.kinesis.approximateArrivalTimestamp),
      approximateArrivalOfLastRecord: iso(last.kinesis.approximateArrivalTimestamp),
      batchSize: records.length,
      streamArn: first.eventSourceARN,
    },
  };
}
