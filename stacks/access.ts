/**
 * Least-privilege bindings.
 *
 * SST's plain `bind: [table]` grants `dynamodb:*` on the table (`s3:*` on a bucket,
 * `kinesis:*` on a stream). Every function here binds with the `{ resource, permissions }`
 * form instead: the handler still gets its `SST_*` variable through `sst/node`, and its role
 * gets only the actions listed below.
 */
import type { Bucket, FunctionProps, KinesisStream, Table } from "sst/constructs";

export type BindingResource = NonNullable<FunctionProps["bind"]>[number];

export const TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"];
export const TABLE_WRITE = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
];
export const STREAM_PUT = [
  "kinesis:PutRecord",
  "kinesis:PutRecords",
  "kinesis:DescribeStreamSummary",
];

/** Read-only access to a table (GetItem, BatchGetItem, Query; never Scan). */
export function readTable(table: Table): BindingResource {
  return { resource: table, permissions: [{ actions: TABLE_READ, resources: [table.tableArn] }] };
}

/** Read and item-level write access to a table (no table management, no Scan). */
export function readWriteTable(table: Table): BindingResource {
  return {
    resource: table,
    permissions: [{ actions: [...TABLE_READ, ...TABLE_WRITE], resources: [table.tableArn] }],
  };
}

/** Put records into a stream. */
export function putToStream(stream: KinesisStream): BindingResource {
  return {
    resource: stream,
    permissions: [{ actions: STREAM_PUT, resources: [stream.streamArn] }],
  };
}

/**
 * List a stream's shards (the windows consumer and timer wait for every shard of `prices`);
 * binds the stream name (SST_KinesisStream_streamName_*) without any read or write access.
 */
export function listShardsOf(stream: KinesisStream): BindingResource {
  return {
    resource: stream,
    permissions: [{ actions: ["kinesis:ListShards"], resources: [stream.streamArn] }],
  };
}

/** Write objects under one key prefix of a bucket (e.g. "dead-letters/"). */
export function writeUnderPrefix(bucket: Bucket, prefix: string): BindingResource {
  return {
    resource: bucket,
    permissions: [{ actions: ["s3:PutObject"], resources: [`${bucket.bucketArn}/${prefix}*`] }],
  };
}
